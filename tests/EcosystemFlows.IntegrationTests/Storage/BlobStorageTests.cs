using System.Net;
using Azure;
using global::Azure.Storage.Blobs;
using global::Azure.Storage.Blobs.Models;

namespace EcosystemFlows.IntegrationTests.Storage;

[Collection("Storage")]
public sealed class BlobStorageTests(StorageFixture storage) : IAsyncLifetime
{
    private readonly BlobContainerClient _container = storage.Blobs.GetBlobContainerClient(LocalServices.UniqueName("it-blob-"));

    public Task InitializeAsync() => _container.CreateAsync();

    public Task DisposeAsync() => _container.DeleteIfExistsAsync();

    [Fact]
    public async Task UploadDownload_RoundTrip_ReturnsSameBytesAndMetadata()
    {
        var blob = _container.GetBlobClient("offerings/o-1/sheet.json");
        var content = BinaryData.FromString("{\"name\":\"Joint managed SOC\"}");

        await blob.UploadAsync(content, new BlobUploadOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
            Metadata = new Dictionary<string, string> { ["schemaVersion"] = "1" },
        });
        var downloaded = await blob.DownloadContentAsync();

        Assert.Equal(content.ToString(), downloaded.Value.Content.ToString());
        Assert.Equal("application/json", downloaded.Value.Details.ContentType);
        Assert.Equal("1", downloaded.Value.Details.Metadata["schemaVersion"]);
    }

    [Fact]
    public async Task Upload_IfNoneMatchAnyOnExistingBlob_Fails409()
    {
        var blob = _container.GetBlobClient("payloads/once");
        var createOnly = new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } };
        await blob.UploadAsync(BinaryData.FromString("first"), createOnly);

        var ex = await Assert.ThrowsAsync<RequestFailedException>(() => blob.UploadAsync(BinaryData.FromString("second"), createOnly));

        Assert.Equal((int)HttpStatusCode.Conflict, ex.Status);
        Assert.Equal("first", (await blob.DownloadContentAsync()).Value.Content.ToString());
    }

    [Fact]
    public async Task Upload_IfMatchStaleETag_Fails412AndKeepsNewerContent()
    {
        var blob = _container.GetBlobClient("payloads/guarded");
        var first = await blob.UploadAsync(BinaryData.FromString("v1"));
        var second = await blob.UploadAsync(
            BinaryData.FromString("v2"),
            new BlobUploadOptions { Conditions = new BlobRequestConditions { IfMatch = first.Value.ETag } });

        var ex = await Assert.ThrowsAsync<RequestFailedException>(() => blob.UploadAsync(
            BinaryData.FromString("v3"),
            new BlobUploadOptions { Conditions = new BlobRequestConditions { IfMatch = first.Value.ETag } }));

        Assert.Equal((int)HttpStatusCode.PreconditionFailed, ex.Status);
        var current = await blob.DownloadContentAsync();
        Assert.Equal("v2", current.Value.Content.ToString());
        Assert.Equal(second.Value.ETag, current.Value.Details.ETag);
    }

    [Fact]
    public async Task Download_MissingBlob_Fails404()
    {
        var ex = await Assert.ThrowsAsync<RequestFailedException>(() => _container.GetBlobClient("missing").DownloadContentAsync());

        Assert.Equal((int)HttpStatusCode.NotFound, ex.Status);
    }
}
