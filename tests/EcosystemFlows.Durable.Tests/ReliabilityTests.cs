using System.Text.Json;
using EcosystemFlows.Durable.History;
using EcosystemFlows.Durable.InMemory;
using EcosystemFlows.Durable.Ports;
using EcosystemFlows.Durable.Testing;
using EcosystemFlows.Durable.Tests.Samples;
using EcosystemFlows.Durable.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Moq;

namespace EcosystemFlows.Durable.Tests;

public sealed class ReliabilityTests
{
    [Fact]
    public async Task Workers_FourCompetingOnOneInstance_NeverCorruptIt()
    {
        await using var host = await TestHosts.StartAsync(o =>
        {
            o.WorkerCount = 4;
            o.ConfigureRuntime = r => (r.MaxConcurrentOrchestrations, r.MaxConcurrentActivities) = (4, 4);
        });

        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(FanOutOrchestrator), 60);
        var result = await host.WaitForCompletionAsync(id);

        Assert.Equal(60, result.ReadOutputAs<int>());
        var history = await host.Client.GetOrchestrationHistoryAsync(id);
        AssertConsistent(history, expectedTasks: 60);
    }

    [Fact]
    public async Task ProcessAsync_TwoWorkersLoadSameVersion_OneReloadsAndBothEventsApplyOnce()
    {
        // Arrange: an instance waiting for two "Item" events.
        await using var host = await TestHosts.StartAsync();
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(TwoEventsOrchestrator));
        await host.WaitForIdleAsync();
        var store = new LockstepStore(host.Store, parties: 2);
        var first = CreateProcessor(host, host.Dispatcher, store);
        var second = CreateProcessor(host, host.Dispatcher, store);
        var now = host.Clock.GetUtcNow().UtcDateTime;

        // Act: both load the same ETag before either commits.
        await Task.WhenAll(
            Task.Run(() => first.ProcessAsync(new TaskMessage("e1", id, null, new EventRaisedEvent(-1, now, "Item", "\"a\"")), CancellationToken.None)),
            Task.Run(() => second.ProcessAsync(new TaskMessage("e2", id, null, new EventRaisedEvent(-1, now, "Item", "\"b\"")), CancellationToken.None)));
        var result = await host.WaitForCompletionAsync(id);

        // Assert
        Assert.Equal(1, host.Store.ConflictCount);
        Assert.Contains(result.ReadOutputAs<string>(), new[] { "ab", "ba" });
        var history = await host.Client.GetOrchestrationHistoryAsync(id);
        Assert.Equal(2, history.OfType<EventRaisedEvent>().Count());
    }

    [Fact]
    public async Task Store_InjectedConflicts_EpisodesReloadAndRetry()
    {
        await using var host = await TestHosts.StartAsync();
        host.Store.InjectConflicts(10);

        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(HelloSequenceOrchestrator), "Rome");
        var result = await host.WaitForCompletionAsync(id);

        Assert.Equal("Hello Rome!", result.ReadOutputAs<List<string>>()![2]);
        Assert.True(host.Store.ConflictCount >= 10);
        AssertConsistent(await host.Client.GetOrchestrationHistoryAsync(id), expectedTasks: 3);
    }

    [Fact]
    public async Task Dispatcher_EveryMessageDeliveredTwice_ChangesNothing()
    {
        // Arrange: the same workload once with single and once with duplicate delivery.
        var single = await RunWorkloadAsync(deliverTwice: false);
        var doubled = await RunWorkloadAsync(deliverTwice: true);

        // Assert: same outcomes and histories; side effects keyed by idempotency key happened once per call.
        Assert.Equal(single.Outputs, doubled.Outputs);
        Assert.Equal(single.HistoryShapes, doubled.HistoryShapes);
        Assert.Equal(single.Effects, doubled.Effects);
        Assert.True(doubled.Executions > single.Executions, "duplicate work items must actually have been delivered");
    }

    [Fact]
    public async Task Worker_CrashAfterCommitBeforeSend_OutboxIsResentOnRedelivery()
    {
        await using var host = await TestHosts.StartAsync(o => o.WorkerCount = 0);
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(HelloSequenceOrchestrator), "Lima");

        // Simulate a worker that committed the first episode and died before sending its outbox:
        // commit the state it would have written, keep the outbox, send nothing, delete no message.
        var stored = (await host.Store.GetAsync(id, CancellationToken.None))!;
        var dispatcher = host.Dispatcher;
        var startLease = (await dispatcher.ReceiveAsync(DispatchQueue.Control, TimeSpan.FromSeconds(1), CancellationToken.None))!;
        var crashing = new RecordingDispatcher();
        var processor = CreateProcessor(host, crashing);
        await processor.ProcessAsync(startLease.Message, CancellationToken.None);
        var committed = (await host.Store.GetAsync(id, CancellationToken.None))!;
        await host.Store.TryReplaceAsync(committed.State with { Outbox = crashing.Sent }, committed.ETag, CancellationToken.None);
        await dispatcher.AbandonAsync(startLease, CancellationToken.None);

        // Act: a healthy worker receives the start message again.
        await using var worker = ActivatorUtilities.CreateInstance<DurableWorker>(host.Services);
        await worker.StartAsync(CancellationToken.None);
        var result = await host.WaitForCompletionAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Pending, stored.State.Status);
        Assert.Single(crashing.Sent, m => m.Queue == DispatchQueue.WorkItem);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        AssertConsistent(await host.Client.GetOrchestrationHistoryAsync(id), expectedTasks: 3);
        Assert.Empty((await host.Store.GetAsync(id, CancellationToken.None))!.State.Outbox);
    }

    [Fact]
    public async Task Worker_SendFailsAndTriggerCannotComeBack_WorkerResendsOutboxAndInstanceCompletes()
    {
        await using var host = await TestHosts.StartAsync(o =>
        {
            var services = o.ConfigureServices;
            o.ConfigureServices = s => services?.Invoke(s.AddSingleton(sp => new FlakyDispatcher(sp.GetRequiredService<InMemoryDispatcher>()))
                .AddSingleton<IMessageDispatcher>(sp => sp.GetRequiredService<FlakyDispatcher>()));
        });
        var queues = host.Services.GetRequiredService<FlakyDispatcher>();
        (queues.AbandonedAreLost, queues.WorkItemSendsToFail) = (true, 2);

        // The start commits, its work item's store fails, and the start message it abandons is gone: only the
        // document's outbox still knows about the work item.
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(HelloSequenceOrchestrator), "Lima");
        for (var waited = 0; queues.Failures < 1 && waited < 200; waited++)
        {
            await Task.Delay(10);
        }

        // The worker re-sends it after a second, then again after two more when that fails too.
        Assert.Equal(OrchestrationRuntimeStatus.Running, (await host.Client.GetInstanceAsync(id))!.RuntimeStatus);
        for (var round = 0; round < 10 && (await host.Client.GetInstanceAsync(id))!.RuntimeStatus != OrchestrationRuntimeStatus.Completed; round++)
        {
            host.Clock.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(100);
        }

        var result = await host.WaitForCompletionAsync(id, TimeSpan.FromSeconds(5));
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        AssertConsistent(await host.Client.GetOrchestrationHistoryAsync(id), expectedTasks: 3);
    }

    [Fact]
    public async Task ContinueAsNew_EventInTheSameBatchAfterTheMessageThatLedThere_IsCarriedToTheNextExecution()
    {
        // Arrange: generation 0 waits for "Next"; "Next" and then "Carried" are raised and applied in one batch.
        await using var host = await TestHosts.StartAsync(o => o.WorkerCount = 0);
        var processor = CreateProcessor(host, host.Dispatcher);
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(CarryOverOrchestrator), new CarryInput(true, 0));
        var start = (await host.Dispatcher.ReceiveAsync(DispatchQueue.Control, TimeSpan.FromMinutes(1), CancellationToken.None))!;
        await processor.ProcessAsync(start.Message, CancellationToken.None);
        await host.Dispatcher.CompleteAsync(start, CancellationToken.None);
        await host.Client.RaiseEventAsync(id, "Next", "go");
        await host.Client.RaiseEventAsync(id, "Carried", "arrived with Next");
        var next = (await host.Dispatcher.ReceiveAsync(DispatchQueue.Control, TimeSpan.FromMinutes(1), CancellationToken.None))!;
        var carried = (await host.Dispatcher.ReceiveAsync(DispatchQueue.Control, TimeSpan.FromMinutes(1), CancellationToken.None))!;

        // Act: the batch continues the instance as new; a worker then runs generation 1.
        await processor.ProcessBatchAsync([next.Message, carried.Message], CancellationToken.None);
        await host.Dispatcher.CompleteAsync(next, CancellationToken.None);
        await host.Dispatcher.CompleteAsync(carried, CancellationToken.None);
        await using var worker = ActivatorUtilities.CreateInstance<DurableWorker>(host.Services);
        await worker.StartAsync(CancellationToken.None);

        // Assert: generation 1 read the event instead of waiting an hour for it.
        var result = await host.WaitForCompletionAsync(id);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal("arrived with Next", result.ReadOutputAs<string>());
    }

    [Fact]
    public async Task Worker_MessageAlwaysFailing_IsPoisonedWithReasonAfterMaxDequeues()
    {
        var clock = new FakeTimeProvider();
        var dispatcher = new InMemoryDispatcher(clock);
        var store = FailingStore();

        await using var worker = await StartWithOneMessageAsync(store.Object, dispatcher, dispatcher, clock);
        await dispatcher.WaitForIdleAsync(TimeSpan.FromSeconds(10));

        var poisoned = Assert.Single(dispatcher.PoisonMessages);
        Assert.Equal("m1", poisoned.Message.Id);
        Assert.Contains("Dequeued 4 times (maximum 3)", poisoned.Reason, StringComparison.Ordinal);
        Assert.Contains("store unavailable", poisoned.Reason, StringComparison.Ordinal);
        store.Verify(s => s.GetAsync("i1", It.IsAny<CancellationToken>()), Times.Exactly(3));
    }

    [Fact]
    public async Task Worker_PoisonStoreUnreachable_MessageComesBackAndIsPoisonedOnALaterDelivery()
    {
        // Arrange: the instance's store always fails, so the message is due for poison; the first move there fails.
        var clock = new FakeTimeProvider();
        var inner = new InMemoryDispatcher(clock);
        var dispatcher = new FlakyDispatcher(inner) { PoisonsToFail = 1 };

        // Act
        await using var worker = await StartWithOneMessageAsync(FailingStore().Object, inner, dispatcher, clock);
        await inner.WaitForIdleAsync(TimeSpan.FromSeconds(10));

        // Assert: the failed move did not end the instance's chain, which took the message again and moved it.
        Assert.Equal(2, dispatcher.PoisonAttempts);
        var poisoned = Assert.Single(inner.PoisonMessages);
        Assert.Contains("Dequeued 5 times (maximum 3)", poisoned.Reason, StringComparison.Ordinal);
        Assert.Contains("store unavailable", poisoned.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Worker_TimerBeyondTransportMaximumDelay_IsChainedAndFiresOnTime()
    {
        await using var host = await TestHosts.StartAsync();
        host.Dispatcher.MaximumDelay = TimeSpan.FromDays(7);
        var start = host.Clock.GetUtcNow();

        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ApprovalOrchestrator), "x");
        await host.AdvanceTimeAsync(TimeSpan.FromDays(29.9));
        var before = await host.Client.GetInstanceAsync(id);
        await host.AdvanceTimeAsync(TimeSpan.FromDays(0.1));
        var result = await host.WaitForCompletionAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Running, before!.RuntimeStatus);
        Assert.Equal("timed out", result.ReadOutputAs<string>());
        Assert.Equal(start.AddDays(30), result.LastUpdatedAt);
    }

    private static void AssertConsistent(IReadOnlyList<HistoryEvent> history, int expectedTasks)
    {
        var scheduled = history.OfType<TaskScheduledEvent>().Select(e => e.EventId).ToList();
        var completed = history.OfType<TaskCompletedEvent>().Select(e => e.TaskScheduledId).ToList();
        Assert.Equal(expectedTasks, scheduled.Count);
        Assert.Equal(scheduled.Count, scheduled.Distinct().Count());
        Assert.Equal(scheduled.Order(), completed.Order());
        Assert.Single(history.OfType<ExecutionStartedEvent>());
        Assert.Single(history.OfType<ExecutionCompletedEvent>());
    }

    private static OrchestrationMessageProcessor CreateProcessor(DurableTestHost host, IMessageDispatcher dispatcher, IInstanceStore? store = null) => new(
        store ?? host.Store,
        dispatcher,
        host.Services.GetRequiredService<DurableTaskRegistry>(),
        host.Services,
        JsonDataConverter.Default,
        host.Clock,
        new DurableTaskOptions(),
        NullLoggerFactory.Instance);

    private static async Task<WorkloadResult> RunWorkloadAsync(bool deliverTwice)
    {
        await using var host = await TestHosts.StartAsync(o =>
        {
            o.DeliverEveryMessageTwice = deliverTwice;
            o.WorkerCount = 2;
        });
        var ids = new[]
        {
            await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(HelloSequenceOrchestrator), "Paris", new StartOrchestrationOptions { InstanceId = "seq" }),
            await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(FanOutOrchestrator), 10, new StartOrchestrationOptions { InstanceId = "fan" }),
            await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ParentOrchestrator), new ParentInput("Bea", "kid"), new StartOrchestrationOptions { InstanceId = "parent" }),
            await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ApprovalOrchestrator), "a", new StartOrchestrationOptions { InstanceId = "approval" }),
        };
        await host.WaitForIdleAsync();
        await host.Client.RaiseEventAsync("approval", "Approval", "yes");
        await host.AdvanceTimeAsync(TimeSpan.FromDays(31));

        var outputs = new List<string?>();
        var shapes = new List<string>();
        foreach (var id in ids)
        {
            var result = await host.WaitForCompletionAsync(id);
            outputs.Add(result.SerializedOutput);
            var history = await host.Client.GetOrchestrationHistoryAsync(id);
            shapes.Add(string.Join(",", history.Select(e => $"{e.GetType().Name}#{e.EventId}")));
        }

        var effects = host.Effects().EffectsByKey.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Value).ToList();
        return new WorkloadResult(outputs, shapes, JsonSerializer.Serialize(effects), host.Effects().TotalExecutions);
    }

    private sealed record WorkloadResult(List<string?> Outputs, List<string> HistoryShapes, string Effects, int Executions);

    /// <summary>Holds the first <c>parties</c> loads until all of them have loaded, forcing a write-write race.</summary>
    private sealed class LockstepStore(IInstanceStore inner, int parties) : IInstanceStore
    {
        private readonly TaskCompletionSource _allLoaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _loads;

        public async Task<StoredInstance?> GetAsync(string instanceId, CancellationToken cancellationToken)
        {
            var stored = await inner.GetAsync(instanceId, cancellationToken);
            var load = Interlocked.Increment(ref _loads);
            if (load == parties)
            {
                _allLoaded.SetResult();
            }

            if (load <= parties)
            {
                await _allLoaded.Task.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
            }

            return stored;
        }

        public Task<string?> TryCreateAsync(InstanceState state, CancellationToken cancellationToken) => inner.TryCreateAsync(state, cancellationToken);

        public Task<string?> TryReplaceAsync(InstanceState state, string etag, CancellationToken cancellationToken) => inner.TryReplaceAsync(state, etag, cancellationToken);

        public Task<bool> DeleteAsync(string instanceId, CancellationToken cancellationToken) => inner.DeleteAsync(instanceId, cancellationToken);

        public Task<InstanceQueryPage> QueryAsync(InstanceQuery query, CancellationToken cancellationToken) => inner.QueryAsync(query, cancellationToken);
    }

    /// <summary>An instance store that always fails: every message for any instance fails until it is poisoned.</summary>
    private static Mock<IInstanceStore> FailingStore()
    {
        var store = new Mock<IInstanceStore>();
        store.Setup(s => s.GetAsync(It.IsAny<string>(), It.IsAny<CancellationToken>())).ThrowsAsync(new IOException("store unavailable"));
        return store;
    }

    /// <summary>A started worker (poison after 3 dequeues, one slot each) with message "m1" for instance "i1" queued on <paramref name="queue"/>.</summary>
    private static async Task<DurableWorker> StartWithOneMessageAsync(IInstanceStore store, InMemoryDispatcher queue, IMessageDispatcher dispatcher, FakeTimeProvider clock)
    {
        var options = Options.Create(new DurableTaskOptions { MaxDequeueCount = 3, MaxConcurrentActivities = 1, MaxConcurrentOrchestrations = 1 });
        var worker = new DurableWorker(store, dispatcher, new DurableTaskRegistry(), new ServiceCollection().BuildServiceProvider(), JsonDataConverter.Default, clock, options, NullLoggerFactory.Instance);
        await queue.SendAsync(DispatchQueue.Control, new TaskMessage("m1", "i1", null, new EventRaisedEvent(-1, clock.GetUtcNow().UtcDateTime, "E", null)), null, CancellationToken.None);
        await worker.StartAsync(CancellationToken.None);
        return worker;
    }

    private sealed class RecordingDispatcher : IMessageDispatcher
    {
        public List<OutboxMessage> Sent { get; } = [];

        public TimeSpan? MaximumDelay => null;

        public Task SendAsync(DispatchQueue queue, TaskMessage message, DateTimeOffset? visibleAt, CancellationToken cancellationToken)
        {
            Sent.Add(new OutboxMessage(queue, message, visibleAt));
            return Task.CompletedTask;
        }

        public Task<MessageLease> SendLeasedAsync(DispatchQueue queue, TaskMessage message, TimeSpan visibilityTimeout, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<MessageLease?> ReceiveAsync(DispatchQueue queue, TimeSpan visibilityTimeout, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<bool> RenewAsync(MessageLease lease, TimeSpan visibilityTimeout, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task CompleteAsync(MessageLease lease, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task AbandonAsync(MessageLease lease, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task PoisonAsync(MessageLease lease, string reason, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
