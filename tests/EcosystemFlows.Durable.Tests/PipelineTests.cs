using EcosystemFlows.Durable.History;
using EcosystemFlows.Durable.InMemory;
using EcosystemFlows.Durable.Ports;
using EcosystemFlows.Durable.Testing;
using EcosystemFlows.Durable.Tests.Samples;
using Microsoft.Extensions.DependencyInjection;

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
        var store = new GatedStore { Delay = TimeSpan.FromMilliseconds(10), ConflictUpTo = 2 };
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
                r.AddOrchestrator<LongSequence>().AddOrchestrator<ActivityThenChild>();
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

    /// <summary>Delays, holds or fails replaces of the in-memory store, and counts them.</summary>
    private sealed class GatedStore
    {
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _replaces;
        private int _holding;

        public TimeSpan Delay { get; init; }

        /// <summary>The replace (1-based) that throws once, as a store that cannot be reached.</summary>
        public int FailAtReplace { get; init; }

        /// <summary>Replaces (1-based) up to this one find the document just rewritten by someone else.</summary>
        public int ConflictUpTo { get; init; }

        public Func<InstanceState, bool>? HoldWhen { get; set; }

        public int Replaces => Volatile.Read(ref _replaces);

        public bool Holding => Volatile.Read(ref _holding) > 0;

        public bool Failed { get; private set; }

        public void Release() => _released.TrySetResult();

        public IInstanceStore Wrap(IInstanceStore inner) => new Store(inner, this);

        private sealed class Store(IInstanceStore inner, GatedStore gate) : IInstanceStore
        {
            public Task<StoredInstance?> GetAsync(string instanceId, CancellationToken cancellationToken) => inner.GetAsync(instanceId, cancellationToken);

            public Task<string?> TryCreateAsync(InstanceState state, CancellationToken cancellationToken) => inner.TryCreateAsync(state, cancellationToken);

            public async Task<string?> TryReplaceAsync(InstanceState state, string etag, CancellationToken cancellationToken)
            {
                var number = Interlocked.Increment(ref gate._replaces);
                if (gate.HoldWhen?.Invoke(state) == true)
                {
                    Interlocked.Increment(ref gate._holding);
                    await gate._released.Task.WaitAsync(cancellationToken);
                }

                await Task.Delay(gate.Delay, cancellationToken);
                if (number <= gate.ConflictUpTo && await inner.GetAsync(state.InstanceId, cancellationToken) is { } current)
                {
                    await inner.TryReplaceAsync(current.State, current.ETag, cancellationToken);
                }

                if (number == gate.FailAtReplace)
                {
                    gate.Failed = true;
                    throw new IOException("The store cannot be reached (injected).");
                }

                return await inner.TryReplaceAsync(state, etag, cancellationToken);
            }

            public Task<bool> DeleteAsync(string instanceId, CancellationToken cancellationToken) => inner.DeleteAsync(instanceId, cancellationToken);

            public Task<InstanceQueryPage> QueryAsync(InstanceQuery query, CancellationToken cancellationToken) => inner.QueryAsync(query, cancellationToken);
        }
    }
}
