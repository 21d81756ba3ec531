using global::Azure.Storage.Queues;

namespace EcosystemFlows.IntegrationTests.Storage;

[Collection("Storage")]
public sealed class QueueStorageTests(StorageFixture storage) : IAsyncLifetime
{
    private readonly QueueClient _queue = storage.Queues.GetQueueClient(LocalServices.UniqueName("it-queue-"));

    public Task InitializeAsync() => _queue.CreateAsync();

    public Task DisposeAsync() => _queue.DeleteIfExistsAsync();

    [Fact]
    public async Task Receive_NotDeletedBeforeVisibilityTimeout_IsRedeliveredWithHigherDequeueCount()
    {
        await _queue.SendMessageAsync("work-item-1");

        var first = (await _queue.ReceiveMessageAsync(TimeSpan.FromSeconds(1))).Value;
        var whileLeased = (await _queue.ReceiveMessageAsync()).Value;
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var again = (await _queue.ReceiveMessageAsync(TimeSpan.FromSeconds(30))).Value;

        Assert.Equal("work-item-1", first.Body.ToString());
        Assert.Equal(1, first.DequeueCount);
        Assert.Null(whileLeased);
        Assert.NotNull(again);
        Assert.Equal(first.MessageId, again.MessageId);
        Assert.Equal(2, again.DequeueCount);
    }

    [Fact]
    public async Task Delete_WithCurrentPopReceipt_RemovesMessage()
    {
        await _queue.SendMessageAsync("done");
        var message = (await _queue.ReceiveMessageAsync(TimeSpan.FromSeconds(1))).Value;

        await _queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
        await Task.Delay(TimeSpan.FromSeconds(1.5));

        Assert.Null((await _queue.ReceiveMessageAsync()).Value);
        Assert.Equal(0, (await _queue.GetPropertiesAsync()).Value.ApproximateMessagesCount);
    }

    [Fact]
    public async Task Send_WithVisibilityDelay_IsInvisibleUntilDue()
    {
        await _queue.SendMessageAsync("timer-fired", visibilityTimeout: TimeSpan.FromSeconds(2));

        var early = (await _queue.ReceiveMessageAsync()).Value;
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        var due = (await _queue.ReceiveMessageAsync()).Value;

        Assert.Null(early);
        Assert.NotNull(due);
        Assert.Equal("timer-fired", due.Body.ToString());
    }

    [Fact]
    public async Task UpdateMessage_ExtendsLease_SoOtherReceiversDoNotSeeIt()
    {
        await _queue.SendMessageAsync("long-running");
        var message = (await _queue.ReceiveMessageAsync(TimeSpan.FromSeconds(1))).Value;

        var renewed = await _queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: TimeSpan.FromSeconds(30));
        await Task.Delay(TimeSpan.FromSeconds(1.5));

        Assert.Null((await _queue.ReceiveMessageAsync()).Value);
        await _queue.DeleteMessageAsync(message.MessageId, renewed.Value.PopReceipt);
    }
}
