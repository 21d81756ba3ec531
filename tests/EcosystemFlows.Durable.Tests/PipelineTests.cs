using EcosystemFlows.Durable.History;
using EcosystemFlows.Durable.InMemory;
using EcosystemFlows.Durable.Ports;
using EcosystemFlows.Durable.Testing;
using EcosystemFlows.Durable.Tests.Samples;
using EcosystemFlows.Durable.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EcosystemFlows.Durable.Tests;

/// <summary>Pipelined steps (<see cref="DurableTaskOptions.PipelineSteps"/>, issue #4): faster, and nothing lost or doubled.</summary>
public sealed class PipelineTests
{
    private const int Steps = 20;

    [Fact]
    public async Task Sequence_SlowCommits_CoalescesStepsIntoFewerWrites()
    {
        var store = new GatedStore { Delay = TimeSpan.FromMilliseconds(50) };
        await using var host = await StartAsync(store);

        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(LongSequence), Steps);
        var completed = await host.WaitForCompletionAsync(id, TimeSpan.FromSeconds(30));

        Assert.Equal(OrchestrationRuntimeStatus.Completed, completed.RuntimeStatus);
        Assert.Equal(Steps, completed.ReadOutputAs<int>());
        Assert.Equal(Steps, host.Effects().EffectsByKey.Count);

        // One write per step without pipelining; here several steps share each 50 ms write.
        Assert.InRange(store.Replaces, 1, Steps / 2);
        await AssertEachTaskCompletedOnceAsync(host, id, Steps);
    }

    [Fact]
    public async Task Sequence_CommitInFlight_NextActivityRunsAndChildStartWaits()
    {
        var store = new GatedStore();
        await using var host = await StartAsync(store);
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ActivityThenChild), "Oslo");

        // Hold every write of the parent once the first activity's result is applied: the episode that starts the
        // child (and, before it, the one scheduling the second activity) stays uncommitted.
        store.HoldWhen = state => state.InstanceId == id && state.History.OfType<TaskCompletedEvent>().Any();
        await WaitUntilAsync(() => store.Holding);

        // The second activity ran ahead of the commit; the child was not started: that must wait for the commit.
        await WaitUntilAsync(() => host.Effects().EffectsByKey.Values.Contains("second"));
        await Task.Delay(200);
        Assert.Null(await host.Client.GetInstanceAsync(ActivityThenChild.ChildId(id)));
        Assert.Equal(OrchestrationRuntimeStatus.Running, (await host.Client.GetInstanceAsync(id))!.RuntimeStatus);

        store.Release();
        var completed = await host.WaitForCompletionAsync(id, TimeSpan.FromSeconds(30));
        Assert.Equal("Hello child!", completed.ReadOutputAs<string>());
    }

    [Fact]
    public async Task Sequence_ConflictingWriterMidway_CompletesWithEachResultOnceAndNothingPoisoned()
    {
        // Another worker's write lands before each of the first two pipelined writes: the ETag rejects both.
        var store = new GatedStore { Delay = TimeSpan.FromMilliseconds(10), ConflictAt = [1, 2] };
        await using var host = await StartAsync(store);
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(LongSequence), Steps);

        var completed = await host.WaitForCompletionAsync(id, TimeSpan.FromSeconds(30));
        Assert.Equal(Steps, completed.ReadOutputAs<int>());
        Assert.Equal(2, host.Store.ConflictCount);
        Assert.Empty(host.Dispatcher.PoisonMessages);
        Assert.Equal(Steps, host.Effects().EffectsByKey.Count);
        await AssertEachTaskCompletedOnceAsync(host, id, Steps);
    }

    [Fact]
    public async Task HeldWorkItemOfCommittedStep_LaterStepLost_StaysValidAndCompletes()
    {
        // Arrange: no workers; this worker's processor (A, writes can be held) and another worker's (B) on one store.
        var store = new GatedStore();
        await using var host = await StartAsync(store, o => o.WorkerCount = 0);
        var a = CreateProcessor(host, store.Wrap(host.Store));
        var b = CreateProcessor(host, host.Store);
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ActivityThenFanOut), 2);
        var start = (await host.Dispatcher.ReceiveAsync(DispatchQueue.Control, TimeSpan.FromMinutes(1), CancellationToken.None))!;
        await a.ProcessAsync(start.Message, CancellationToken.None);

        // Step 1 (committed): the first result schedules a fan-out of two, both held by this worker.
        var held = new List<HeldWorkItem>();
        var first = a.TryPipeline([new PipelinedMessage(Result(host, start.Message, 0), null)], h => { held.Add(h); return true; }, CancellationToken.None)!;
        await first.Settled;
        Assert.Equal(2, held.Count);

        // Step 2 (lost): the first fan-out result, written while B commits an event first.
        store.HoldWhen = _ => true;
        var second = a.TryPipeline([new PipelinedMessage(Result(host, start.Message, held[0].Message.Event.EventId), held[0])], _ => false, CancellationToken.None)!;
        await WaitUntilAsync(() => store.Holding);
        await b.ProcessAsync(Event(host, id, "unrelated"), CancellationToken.None);
        store.Release();
        await second.Settled;

        // The other work item's step was committed: it stays valid, stored for this worker, and its result applies.
        Assert.False(held[1].IsVoid);
        Assert.NotNull(await held[1].Stored);
        var last = a.TryPipeline([new PipelinedMessage(Result(host, start.Message, held[1].Message.Event.EventId), held[1])], _ => false, CancellationToken.None);
        Assert.NotNull(last);
        Assert.Empty(last.Dropped);
        await last.Settled;
        var metadata = await host.Client.GetInstanceAsync(id, getInputsAndOutputs: true);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, metadata!.RuntimeStatus);
        Assert.Equal(3, metadata.ReadOutputAs<int>());
    }

    [Fact]
    public async Task IgnoredOnUncommittedState_WriteConflicts_AppliedAgainWithTheLostStep()
    {
        // Arrange: no workers; this worker's processor (A, writes held) and another worker's (B) on one store.
        var store = new GatedStore();
        await using var host = await StartAsync(store, o => o.WorkerCount = 0);
        var a = CreateProcessor(host, store.Wrap(host.Store));
        var b = CreateProcessor(host, host.Store);
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(EventRace));
        var start = (await host.Dispatcher.ReceiveAsync(DispatchQueue.Control, TimeSpan.FromMinutes(1), CancellationToken.None))!;
        await a.ProcessAsync(start.Message, CancellationToken.None);
        store.HoldWhen = _ => true;

        // A: "b" wins the race in memory (its write held); "c" then finds the instance finished and rides along.
        var won = a.TryPipeline([new PipelinedMessage(Event(host, id, "b"), null)], _ => false, CancellationToken.None)!;
        var rider = a.TryPipeline([new PipelinedMessage(Event(host, id, "c"), null)], _ => false, CancellationToken.None)!;
        await WaitUntilAsync(() => store.Holding);

        // B commits "x" first: A's write conflicts, and both of A's messages are applied again on B's state.
        await b.ProcessAsync(Event(host, id, "x"), CancellationToken.None);
        store.Release();
        await won.Settled;
        await rider.Settled;

        var metadata = await host.Client.GetInstanceAsync(id, getInputsAndOutputs: true);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, metadata!.RuntimeStatus);
        Assert.Equal("x+c", metadata.ReadOutputAs<string>());
    }

    [Fact]
    public async Task Sequence_WriteFailsOnce_LostStepsComeBackAndComplete()
    {
        var store = new GatedStore { Delay = TimeSpan.FromMilliseconds(10), FailAtReplace = 2 };
        await using var host = await StartAsync(store);
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(LongSequence), Steps);

        var completed = await host.WaitForCompletionAsync(id, TimeSpan.FromSeconds(30));

        Assert.True(store.Failed);
        Assert.Equal(Steps, completed.ReadOutputAs<int>());
        Assert.Empty(host.Dispatcher.PoisonMessages);
        Assert.Equal(Steps, host.Effects().EffectsByKey.Count);
        await AssertEachTaskCompletedOnceAsync(host, id, Steps);
        await host.WaitForIdleAsync();
    }

    [Fact]
    public async Task ManyInstances_TwoWorkersDuplicateDelivery_EachEffectOnceAndIdle()
    {
        var store = new GatedStore { Delay = TimeSpan.FromMilliseconds(2) };
        await using var host = await StartAsync(store, o => (o.WorkerCount, o.DeliverEveryMessageTwice) = (2, true));

        var ids = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            ids.Add(await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(LongSequence), 5));
        }

        foreach (var id in ids)
        {
            Assert.Equal(5, (await host.WaitForCompletionAsync(id, TimeSpan.FromSeconds(30))).ReadOutputAs<int>());
            await AssertEachTaskCompletedOnceAsync(host, id, 5);
        }

        Assert.Equal(50, host.Effects().EffectsByKey.Count);
        await host.WaitForIdleAsync();
        Assert.Empty(host.Dispatcher.PoisonMessages);
    }

    [Fact]
    public async Task ManyInstances_QueueServiceDownAgainAndAgain_AllCompleteWithEachResultOnce()
    {
        var store = new GatedStore { Delay = TimeSpan.FromMilliseconds(2) };
        await using var host = await StartAsync(store, o =>
        {
            var services = o.ConfigureServices;
            o.ConfigureServices = s => services?.Invoke(s.AddSingleton(sp => new FlakyDispatcher(sp.GetRequiredService<InMemoryDispatcher>()))
                .AddSingleton<IMessageDispatcher>(sp => sp.GetRequiredService<FlakyDispatcher>()));
        });
        var queues = host.Services.GetRequiredService<FlakyDispatcher>();
        var ids = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            ids.Add(await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(LongSequence), Steps));
        }

        // Short outages while the sequences run: commits succeed, the sends and settlements after them fail.
        var random = new Random(8);
        for (var i = 0; i < 40; i++)
        {
            queues.Down = true;
            await Task.Delay(random.Next(5, 30));
            queues.Down = false;
            await Task.Delay(random.Next(20, 60));
        }

        // Leases nobody could settle expire, so their messages come back and the instances converge.
        var timeout = host.Services.GetRequiredService<IOptions<DurableTaskOptions>>().Value.VisibilityTimeout;
        for (var round = 0; round < 30 && !await AllCompletedAsync(host, ids); round++)
        {
            host.Clock.Advance(timeout);
            host.Dispatcher.Signal();
            await Task.Delay(300);
        }

        Assert.True(queues.Failures > 0);
        foreach (var id in ids)
        {
            Assert.Equal(Steps, (await host.WaitForCompletionAsync(id, TimeSpan.FromSeconds(5))).ReadOutputAs<int>());
            await AssertEachTaskCompletedOnceAsync(host, id, Steps);
        }

        Assert.Empty(host.Dispatcher.PoisonMessages);
    }

    private static TaskMessage Event(DurableTestHost host, string id, string name) =>
        new($"event-{name}", id, null, new EventRaisedEvent(-1, host.Clock.GetUtcNow().UtcDateTime, name, "\"v\""));

    private static TaskMessage Result(DurableTestHost host, TaskMessage start, int taskId) => new(
        MessageIds.ForTask(start.InstanceId, start.ExecutionId!, taskId, "result"),
        start.InstanceId,
        start.ExecutionId,
        new TaskCompletedEvent(-1, host.Clock.GetUtcNow().UtcDateTime, taskId, "\"Hello!\""));

    private static OrchestrationMessageProcessor CreateProcessor(DurableTestHost host, IInstanceStore store) => new(
        store,
        host.Dispatcher,
        host.Services.GetRequiredService<DurableTaskRegistry>(),
        host.Services,
        JsonDataConverter.Default,
        host.Clock,
        new DurableTaskOptions { MaxBatchSize = 100, DeliverActivityResultsLocally = true, PipelineSteps = true },
        NullLoggerFactory.Instance);

    private static async Task<bool> AllCompletedAsync(DurableTestHost host, List<string> ids)
    {
        foreach (var id in ids)
        {
            if ((await host.Client.GetInstanceAsync(id))?.RuntimeStatus != OrchestrationRuntimeStatus.Completed)
            {
                return false;
            }
        }

        return true;
    }

    private static async Task AssertEachTaskCompletedOnceAsync(DurableTestHost host, string id, int tasks)
    {
        var history = await host.Client.GetOrchestrationHistoryAsync(id);
        var completed = history.OfType<TaskCompletedEvent>().Select(e => e.TaskScheduledId).ToList();
        Assert.Equal(tasks, history.OfType<TaskScheduledEvent>().Count());
        Assert.Equal(completed.Distinct().Count(), completed.Count);
        Assert.Equal(tasks, completed.Count);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached within 20 s");
            await Task.Delay(5);
        }
    }

    private static Task<DurableTestHost> StartAsync(GatedStore store, Action<DurableTestHostOptions>? configure = null) =>
        DurableTestHost.StartAsync(
            r =>
            {
                SampleRegistration.RegisterAll(r);
                r.AddOrchestrator<LongSequence>().AddOrchestrator<ActivityThenChild>().AddOrchestrator<ActivityThenFanOut>().AddOrchestrator<EventRace>();
            },
            o =>
            {
                o.ConfigureRuntime = r => (r.MaxBatchSize, r.DeliverActivityResultsLocally, r.PipelineSteps) = (100, true, true);
                o.ConfigureServices = services => services
                    .AddSingleton<SideEffectLog>()
                    .AddSingleton<CodeVersionSwitch>()
                    .AddSingleton<IInstanceStore>(sp => store.Wrap(sp.GetRequiredService<InMemoryInstanceStore>()));
                configure?.Invoke(o);
            });

    /// <summary>Calls <see cref="SayHello"/> n times in a row and returns how many answered.</summary>
    public sealed class LongSequence : TaskOrchestrator<int, int>
    {
        public override async Task<int> RunAsync(TaskOrchestrationContext context, int input)
        {
            var answered = 0;
            for (var i = 0; i < input; i++)
            {
                answered += (await context.CallActivityAsync<string>(nameof(SayHello), $"step{i}")).Length > 0 ? 1 : 0;
            }

            return answered;
        }
    }

    /// <summary>Two activities, then a child orchestration.</summary>
    public sealed class ActivityThenChild : TaskOrchestrator<string, string>
    {
        public static string ChildId(string parentId) => parentId + "-child";

        public override async Task<string> RunAsync(TaskOrchestrationContext context, string input)
        {
            await context.CallActivityAsync<string>(nameof(SayHello), "first");
            await context.CallActivityAsync<string>(nameof(SayHello), "second");
            return await context.CallSubOrchestratorAsync<string>(nameof(ChildOrchestrator), "child", new SubOrchestrationOptions(ChildId(context.InstanceId)));
        }
    }

    /// <summary>One activity, then a fan-out; returns how many answered.</summary>
    public sealed class ActivityThenFanOut : TaskOrchestrator<int, int>
    {
        public override async Task<int> RunAsync(TaskOrchestrationContext context, int input)
        {
            await context.CallActivityAsync<string>(nameof(SayHello), "first");
            var answers = await Task.WhenAll(Enumerable.Range(0, input).Select(i => context.CallActivityAsync<string>(nameof(SayHello), $"p{i}")));
            return answers.Length + 1;
        }
    }

    /// <summary>"b" or "x" first; after "x", also waits for "c".</summary>
    public sealed class EventRace : TaskOrchestrator<object?, string>
    {
        public override async Task<string> RunAsync(TaskOrchestrationContext context, object? input)
        {
            var b = context.WaitForExternalEvent<string>("b");
            var x = context.WaitForExternalEvent<string>("x");
            return await Task.WhenAny(b, x) == b ? "b" : "x+" + (await context.WaitForExternalEvent<string>("c") is not null ? "c" : string.Empty);
        }
    }
}
