using EcosystemFlows.Domain.Ports;
using global::Azure.Storage.Blobs;
using global::Azure.Storage.Blobs.Models;

namespace EcosystemFlows.Azure.Offerings;

/// <summary>Offering artefacts as blobs <c>artifacts/{offeringId}/{name}</c>.</summary>
public sealed class BlobArtifactStore(BlobServiceClient blobs) : IArtifactStore
{
    /// <summary>The container (ARCHITECTURE §5).</summary>
    public const string ContainerName = "artifacts";

    private readonly BlobContainerClient _container = blobs.GetBlobContainerClient(ContainerName);

    /// <summary>Creates the container when missing (local; infra creates it in Azure).</summary>
    public Task EnsureCreatedAsync(CancellationToken cancellationToken) => _container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);

    /// <inheritdoc />
    public async Task WriteAsync(string offeringId, string name, string contentType, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        await _container.GetBlobClient($"{offeringId}/{name}").UploadAsync(
            BinaryData.FromBytes(content),
            new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = contentType } },
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<Artifact?> ReadAsync(string offeringId, string name, CancellationToken cancellationToken)
    {
        var blob = _container.GetBlobClient($"{offeringId}/{name}");
        try
        {
            var download = await blob.DownloadContentAsync(cancellationToken).ConfigureAwait(false);
            return new Artifact(download.Value.Content.ToMemory(), download.Value.Details.ContentType);
        }
        catch (global::Azure.RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }
}
