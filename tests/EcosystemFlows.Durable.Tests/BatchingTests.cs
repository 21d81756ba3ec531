using EcosystemFlows.Durable.History;
using EcosystemFlows.Durable.Ports;
using EcosystemFlows.Durable.Testing;
using EcosystemFlows.Durable.Tests.Samples;
using EcosystemFlows.Durable.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace EcosystemFlows.Durable.Tests;

/// <summary>Several control messages of one instance applied in one episode (issue #4).</summary>
public sealed class BatchingTests
{
    [Fact]
    public async Task ProcessBatchAsync_AllFanOutResultsWithDuplicate_OneEpisodeCompletesInstance()
    {
        // Arrange: a fan-out of 10 started by hand, no worker running.
        await using var host = await TestHosts.StartAsync(o => o.WorkerCount = 0);
        var processor = CreateProcessor(host);
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(FanOutOrchestrator), 10);
        var start = (await host.Dispatcher.ReceiveAsync(DispatchQueue.Control, TimeSpan.FromMinutes(1), CancellationToken.None))!;
        await processor.ProcessAsync(start.Message, CancellationToken.None);
        var state = (await host.Store.GetAsync(id, CancellationToken.None))!.State;
        var now = host.Clock.GetUtcNow().UtcDateTime;
        var results = state.History.OfType<TaskScheduledEvent>()
            .Select(t => new TaskMessage(MessageIds.ForTask(id, state.ExecutionId, t.EventId, "result"), id, state.ExecutionId, new TaskCompletedEvent(-1, now, t.EventId, "\"r\"")))
            .ToList();

        // Act: all results and a redelivered duplicate in one batch.
        await processor.ProcessBatchAsync([.. results, results[3]], CancellationToken.None);

        // Assert
        var metadata = await host.Client.GetInstanceAsync(id, getInputsAndOutputs: true);
        var history = await host.Client.GetOrchestrationHistoryAsync(id);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, metadata!.RuntimeStatus);
        Assert.Equal(10, metadata.ReadOutputAs<int>());
        Assert.Equal(10, history.OfType<TaskCompletedEvent>().Count());
        Assert.Equal(2, history.OfType<OrchestratorStartedEvent>().Count());
    }

    [Fact]
    public async Task ProcessBatchAsync_EventsInOneBatch_AppliedInBatchOrder()
    {
        await using var host = await TestHosts.StartAsync(o => o.WorkerCount = 0);
        var processor = CreateProcessor(host);
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(TwoEventsOrchestrator));
        var start = (await host.Dispatcher.ReceiveAsync(DispatchQueue.Control, TimeSpan.FromMinutes(1), CancellationToken.None))!;
        var now = host.Clock.GetUtcNow().UtcDateTime;

        // The start, the first activity's result and both events arrive together: the start runs alone, the
        // rest after it in one episode.
        await processor.ProcessBatchAsync(
            [
                start.Message,
                FirstActivityResult(id, start.Message.ExecutionId!, now),
                new TaskMessage("e1", id, null, new EventRaisedEvent(-1, now, "Item", "\"a\"")),
                new TaskMessage("e2", id, null, new EventRaisedEvent(-1, now, "Item", "\"b\"")),
            ],
            CancellationToken.None);

        var metadata = await host.Client.GetInstanceAsync(id, getInputsAndOutputs: true);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, metadata!.RuntimeStatus);
        Assert.Equal("ab", metadata.ReadOutputAs<string>());
    }

    [Fact]
    public async Task ProcessBatchAsync_StaleExecutionAndProcessedIds_Ignored()
    {
        await using var host = await TestHosts.StartAsync(o => o.WorkerCount = 0);
        var processor = CreateProcessor(host);
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(TwoEventsOrchestrator));
        var start = (await host.Dispatcher.ReceiveAsync(DispatchQueue.Control, TimeSpan.FromMinutes(1), CancellationToken.None))!;
        await processor.ProcessAsync(start.Message, CancellationToken.None);
        var now = host.Clock.GetUtcNow().UtcDateTime;
        await processor.ProcessAsync(FirstActivityResult(id, start.Message.ExecutionId!, now), CancellationToken.None);
        await processor.ProcessAsync(new TaskMessage("e1", id, null, new EventRaisedEvent(-1, now, "Item", "\"a\"")), CancellationToken.None);

        await processor.ProcessBatchAsync(
            [
                new TaskMessage("e1", id, null, new EventRaisedEvent(-1, now, "Item", "\"a\"")),
                new TaskMessage("old", id, "another-execution", new EventRaisedEvent(-1, now, "Item", "\"x\"")),
                new TaskMessage("e2", id, null, new EventRaisedEvent(-1, now, "Item", "\"b\"")),
            ],
            CancellationToken.None);

        var metadata = await host.Client.GetInstanceAsync(id, getInputsAndOutputs: true);
        Assert.Equal("ab", metadata!.ReadOutputAs<string>());
    }

    [Fact]
    public async Task Worker_BurstOfEventsToOneInstance_AppliedInOrderInFewerEpisodes()
    {
        await using var host = await TestHosts.StartAsync(o =>
        {
            o.WorkerCount = 0;
            o.ConfigureRuntime = r => r.MaxBatchSize = 100;
        });
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(TwoEventsOrchestrator));
        await host.Client.RaiseEventAsync(id, "Item", "x");
        await host.Client.RaiseEventAsync(id, "Item", "y");

        // The start and both events are queued before the worker runs: it takes them as one batch.
        await using var worker = ActivatorUtilities.CreateInstance<DurableWorker>(host.Services);
        await worker.StartAsync(CancellationToken.None);
        var result = await host.WaitForCompletionAsync(id);

        Assert.Equal("xy", result.ReadOutputAs<string>());
        Assert.True((await host.Client.GetOrchestrationHistoryAsync(id)).OfType<OrchestratorStartedEvent>().Count() <= 3);
    }

    [Fact]
    public async Task ProcessAsync_CachedStateStaleAfterOtherWorkerCommitted_ReloadsAndAppliesBoth()
    {
        // Arrange: worker A commits (and caches) the first episodes; worker B then commits an event.
        await using var host = await TestHosts.StartAsync(o => o.WorkerCount = 0);
        var a = CreateProcessor(host);
        var b = CreateProcessor(host);
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(TwoEventsOrchestrator));
        var start = (await host.Dispatcher.ReceiveAsync(DispatchQueue.Control, TimeSpan.FromMinutes(1), CancellationToken.None))!;
        var now = host.Clock.GetUtcNow().UtcDateTime;
        await a.ProcessAsync(start.Message, CancellationToken.None);
        await a.ProcessAsync(FirstActivityResult(id, start.Message.ExecutionId!, now), CancellationToken.None);
        await b.ProcessAsync(new TaskMessage("e1", id, null, new EventRaisedEvent(-1, now, "Item", "\"a\"")), CancellationToken.None);
        var conflictsBefore = host.Store.ConflictCount;

        // Act: A works from its now stale cached state.
        await a.ProcessAsync(new TaskMessage("e2", id, null, new EventRaisedEvent(-1, now, "Item", "\"b\"")), CancellationToken.None);

        // Assert: the conditional write caught it, A reloaded, and both events count.
        var metadata = await host.Client.GetInstanceAsync(id, getInputsAndOutputs: true);
        Assert.Equal(conflictsBefore + 1, host.Store.ConflictCount);
        Assert.Equal("ab", metadata!.ReadOutputAs<string>());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Worker_ResultsDeliveredLocallyAndBatched_CompletesWithEachEffectOnce(bool deliverTwice)
    {
        await using var host = await TestHosts.StartAsync(o =>
        {
            o.WorkerCount = 2;
            o.DeliverEveryMessageTwice = deliverTwice;
            o.ConfigureRuntime = r => (r.MaxBatchSize, r.DeliverActivityResultsLocally) = (100, true);
        });

        var sequence = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(HelloSequenceOrchestrator), "Oslo");
        var fanOut = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(FanOutOrchestrator), 30);
        var first = await host.WaitForCompletionAsync(sequence);
        var second = await host.WaitForCompletionAsync(fanOut);

        Assert.Equal("Hello Oslo!", first.ReadOutputAs<List<string>>()![2]);
        Assert.Equal(30, second.ReadOutputAs<int>());
        Assert.Equal(33, host.Effects().EffectsByKey.Count);
        Assert.Equal(30, (await host.Client.GetOrchestrationHistoryAsync(fanOut)).OfType<TaskCompletedEvent>().Count());
    }

    [Fact]
    public void InstanceStateCache_BeyondCapacity_DropsLeastRecentlyUsed()
    {
        var cache = new InstanceStateCache(capacity: 2);
        var state = new InstanceState { InstanceId = "x", ExecutionId = "e", Name = "n", Version = "" };
        cache.Set("a", Cached(state, "1"));
        cache.Set("b", Cached(state, "2"));
        Assert.True(cache.TryGet("a", out _));

        cache.Set("c", Cached(state, "3"));

        Assert.True(cache.TryGet("a", out var kept));
        Assert.Equal("1", kept!.Stored.ETag);
        Assert.False(cache.TryGet("b", out _));
        Assert.True(cache.TryGet("c", out _));
    }

    private static CachedInstance Cached(InstanceState state, string etag) => new(new StoredInstance(state, etag), []);

    private static TaskMessage FirstActivityResult(string id, string executionId, DateTime now) =>
        new(MessageIds.ForTask(id, executionId, 0, "result"), id, executionId, new TaskCompletedEvent(-1, now, 0, "\"Hello first!\""));

    private static OrchestrationMessageProcessor CreateProcessor(DurableTestHost host) => new(
        host.Store,
        host.Dispatcher,
        host.Services.GetRequiredService<DurableTaskRegistry>(),
        host.Services,
        JsonDataConverter.Default,
        host.Clock,
        new DurableTaskOptions(),
        NullLoggerFactory.Instance);
}
