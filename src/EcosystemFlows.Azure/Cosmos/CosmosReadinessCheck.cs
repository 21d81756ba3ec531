using EcosystemFlows.Azure.Health;
using Microsoft.Azure.Cosmos;

namespace EcosystemFlows.Azure.Cosmos;

/// <summary>Ready when the Cosmos DB account answers a metadata read.</summary>
public sealed class CosmosReadinessCheck(CosmosClient client)
    : DependencyReadinessCheck("Cosmos DB", client.Endpoint.ToString())
{
    /// <inheritdoc />
    protected override Task ProbeAsync(CancellationToken cancellationToken) =>
        client.ReadAccountAsync().WaitAsync(cancellationToken);
}
