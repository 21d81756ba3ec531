using global::Azure.Storage.Blobs;
using global::Azure.Storage.Queues;

namespace EcosystemFlows.IntegrationTests.Storage;

/// <summary>Azurite keeps blobs and queued messages on disk across a stop and start.</summary>
[Collection(ServiceRestartsCollection.Name)]
public sealed class StorageRestartTests(StorageFixture storage) : IClassFixture<StorageFixture>, IAsyncLifetime
{
    private readonly BlobContainerClient _container = storage.Blobs.GetBlobContainerClient(LocalServices.UniqueName("it-restart-"));
    private readonly QueueClient _queue = storage.Queues.GetQueueClient(LocalServices.UniqueName("it-restart-"));

    public async Task InitializeAsync()
    {
        await _container.CreateAsync();
        await _queue.CreateAsync();
    }

    public async Task DisposeAsync()
    {
        await _container.DeleteIfExistsAsync();
        await _queue.DeleteIfExistsAsync();
    }

    [Fact]
    public async Task BlobAndMessage_AzuriteRestarted_AreStillThere()
    {
        var blob = _container.GetBlobClient("artifacts/o-2/governance-record.json");
        var uploaded = await blob.UploadAsync(BinaryData.FromString("signed"));
        await _queue.SendMessageAsync("survives");

        await ServiceControl.RestartAsync("azurite");

        var downloaded = await blob.DownloadContentAsync();
        Assert.Equal("signed", downloaded.Value.Content.ToString());
        Assert.Equal(uploaded.Value.ETag, downloaded.Value.Details.ETag);
        var message = (await _queue.ReceiveMessageAsync()).Value;
        Assert.NotNull(message);
        Assert.Equal("survives", message.Body.ToString());
    }
}
