using EcosystemFlows.Azure.Health;
using global::Azure.Storage.Blobs;
using global::Azure.Storage.Queues;

namespace EcosystemFlows.Azure.Storage;

/// <summary>Ready when the Blob service answers a service-properties read.</summary>
public sealed class BlobReadinessCheck(BlobServiceClient client)
    : DependencyReadinessCheck("Blob storage", client.Uri.ToString())
{
    /// <inheritdoc />
    protected override Task ProbeAsync(CancellationToken cancellationToken) => client.GetPropertiesAsync(cancellationToken);
}

/// <summary>Ready when the Queue service answers a service-properties read.</summary>
public sealed class QueueReadinessCheck(QueueServiceClient client)
    : DependencyReadinessCheck("Queue storage", client.Uri.ToString())
{
    /// <inheritdoc />
    protected override Task ProbeAsync(CancellationToken cancellationToken) => client.GetPropertiesAsync(cancellationToken);
}
