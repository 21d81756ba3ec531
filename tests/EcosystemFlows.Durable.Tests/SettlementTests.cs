using EcosystemFlows.Durable.History;
using EcosystemFlows.Durable.Ports;
using EcosystemFlows.Durable.Testing;
using EcosystemFlows.Durable.Tests.Samples;
using EcosystemFlows.Durable.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace EcosystemFlows.Durable.Tests;

/// <summary>
/// When a step's messages may be deleted. A queue message can reach the worker twice (a duplicate delivery, or a
/// redelivery after its lease expired) while the commit that applied the first copy is still sending its outbox. The
/// second copy is then "already processed"; if it settled at once, the shared queue message would be deleted while the
/// outbox is only in the document, and a crash before the send ends would leave nothing in any queue to bring the
/// instance back (found by the fault suite: an offering stuck at AwaitingSignOffs). So every step settles only after the
/// sends of this worker's earlier commits of the instance, not just its own.
/// </summary>
public sealed class SettlementTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Commit_DuplicateOfAMessageWhoseOutboxIsBeingSent_SettlesOnlyAfterThatSend()
    {
        // Arrange: the first copy's commit stores a work item slowly.
        await using var t = await ArrangeAsync();
        t.Dispatcher.BeforeWorkItemSend = _ => t.Release.Task;

        // Act
        var first = await t.Processor.CommitAsync(t.Start, CancellationToken.None).WaitAsync(Wait);
        var second = await t.Processor.CommitAsync(t.Start, CancellationToken.None).WaitAsync(Wait);

        // Assert: neither copy may be deleted before the work item is stored; then both may.
        Assert.False(first.IsCompleted);
        Assert.False(second.IsCompleted);
        t.Release.SetResult();
        await Task.WhenAll(first, second).WaitAsync(Wait);
    }

    [Fact]
    public async Task CommitBatch_DuplicateRidingWithANewMessage_SettlesOnlyAfterTheFirstCopysSend()
    {
        // Arrange
        await using var t = await ArrangeAsync();
        t.Dispatcher.BeforeWorkItemSend = _ => t.Release.Task;
        var first = await t.Processor.CommitAsync(t.Start, CancellationToken.None).WaitAsync(Wait);
        var nudge = new TaskMessage("nudge-1", t.Id, null, new EventRaisedEvent(-1, t.Host.Clock.GetUtcNow().UtcDateTime, "Nudge", null));

        // Act: the event commits a step of its own that sends nothing; the duplicate rides with it.
        var batch = await t.Processor.CommitBatchAsync([t.Start, nudge], CancellationToken.None).WaitAsync(Wait);

        // Assert
        Assert.False(batch.IsCompleted);
        t.Release.SetResult();
        await Task.WhenAll(first, batch).WaitAsync(Wait);
        var stored = (await t.Host.Store.GetAsync(t.Id, CancellationToken.None))!.State;
        Assert.Single(stored.History.OfType<EventRaisedEvent>());
    }

    [Fact]
    public async Task PipelinedStep_EarlierCommitStillSending_SettlesOnlyAfterThatSend()
    {
        // Arrange: the start is committed, its work item (task 0) is stored slowly; task 0's result comes back meanwhile
        // (it ran here, as a held work item would).
        await using var t = await ArrangeAsync(pipeline: true);
        t.Dispatcher.BeforeWorkItemSend = m => m.Id.EndsWith("|0|activity", StringComparison.Ordinal) ? t.Release.Task : Task.CompletedTask;
        var first = await t.Processor.CommitAsync(t.Start, CancellationToken.None).WaitAsync(Wait);
        var executionId = (await t.Host.Store.GetAsync(t.Id, CancellationToken.None))!.State.ExecutionId;
        var result = new TaskMessage(
            MessageIds.ForTask(t.Id, executionId, 0, "result"), t.Id, executionId, new TaskCompletedEvent(-1, t.Host.Clock.GetUtcNow().UtcDateTime, 0, "\"Hello Tokyo!\""));

        // Act
        var step = t.Processor.TryPipeline([new PipelinedMessage(result, null)], _ => false, CancellationToken.None);

        // Assert: the step is committed and its own work item (task 1) sent, but it settles after task 0's store.
        Assert.NotNull(step);
        await t.Processor.WhenDrainedAsync(t.Id).WaitAsync(Wait);
        var sent = await t.Host.Dispatcher.ReceiveAsync(DispatchQueue.WorkItem, TimeSpan.FromMinutes(1), CancellationToken.None);
        Assert.EndsWith("|1|activity", sent!.Message.Id, StringComparison.Ordinal);
        Assert.False(step.Settled.IsCompleted);
        t.Release.SetResult();
        await Task.WhenAll(first, step.Settled).WaitAsync(Wait);
    }

    /// <summary>A started sequence's start message, received, and a processor whose work-item sends a test can hold.</summary>
    private static async Task<Arranged> ArrangeAsync(bool pipeline = false)
    {
        var host = await TestHosts.StartAsync(o => o.WorkerCount = 0);
        var dispatcher = new FlakyDispatcher(host.Dispatcher);
        var processor = new OrchestrationMessageProcessor(
            host.Store, dispatcher, host.Services.GetRequiredService<DurableTaskRegistry>(), host.Services, JsonDataConverter.Default, host.Clock,
            new DurableTaskOptions { PipelineSteps = pipeline }, NullLoggerFactory.Instance);
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(HelloSequenceOrchestrator), "Lima");
        var start = (await host.Dispatcher.ReceiveAsync(DispatchQueue.Control, TimeSpan.FromMinutes(1), CancellationToken.None))!.Message;
        return new Arranged(host, processor, dispatcher, id, start);
    }

    /// <summary>What a test works on; disposing lets held sends go (a failed assertion must not leave them hanging).</summary>
    private sealed record Arranged(DurableTestHost Host, OrchestrationMessageProcessor Processor, FlakyDispatcher Dispatcher, string Id, TaskMessage Start) : IAsyncDisposable
    {
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async ValueTask DisposeAsync()
        {
            Release.TrySetResult();
            await Host.DisposeAsync();
        }
    }
}
