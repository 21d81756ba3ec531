using EcosystemFlows.Durable.InMemory;
using EcosystemFlows.Durable.Ports;
using EcosystemFlows.Durable.Testing;
using EcosystemFlows.Durable.Tests.Samples;
using EcosystemFlows.Durable.Worker;
using Microsoft.Extensions.DependencyInjection;

namespace EcosystemFlows.Durable.Tests;

/// <summary>
/// The worker renews the leases it holds (issue #8): a message is not redelivered however long its activity or its
/// commit takes, and comes back once the worker holding it stops.
/// </summary>
public sealed class LeaseRenewalTests
{
    private static readonly TimeSpan VisibilityTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Activity_RunsForSeveralVisibilityTimeouts_RunsOnceAndIsNotRedelivered()
    {
        var gate = new ActivityGate();
        await using var host = await StartAsync(gate);
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(BlockingOrchestrator), "long");
        await WaitUntilAsync(() => gate.Started == 1);

        await AdvanceWhileRenewedAsync(host, 4 * VisibilityTimeout);
        gate.Release();
        var completed = await host.WaitForCompletionAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, completed.RuntimeStatus);
        Assert.Equal("long done", completed.ReadOutputAs<string>());
        Assert.Equal(1, gate.Started);
        Assert.Equal(0, host.Dispatcher.Redeliveries);
    }

    [Fact]
    public async Task Orchestration_CommitSlowerThanSeveralVisibilityTimeouts_TriggeringMessageNotRedelivered()
    {
        const string id = "slow-commit";
        var store = new GatedStore { HoldWhen = state => state.InstanceId == id };
        await using var host = await StartAsync(new ActivityGate(), services => services
            .AddSingleton<IInstanceStore>(sp => store.Wrap(sp.GetRequiredService<InMemoryInstanceStore>())));
        await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(HelloSequenceOrchestrator), "Oslo", new StartOrchestrationOptions { InstanceId = id });
        await WaitUntilAsync(() => store.Holding);

        await AdvanceWhileRenewedAsync(host, 4 * VisibilityTimeout);
        store.Release();
        var completed = await host.WaitForCompletionAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, completed.RuntimeStatus);
        Assert.Equal(0, host.Dispatcher.Redeliveries);
        Assert.All(host.Services.GetRequiredService<SideEffectLog>().ExecutionsByKey.Values, n => Assert.Equal(1, n));
    }

    [Fact]
    public async Task WorkerStop_ActivityStillRunning_LeaseNoLongerRenewedAndMessageComesBack()
    {
        var gate = new ActivityGate();
        await using var host = await StartAsync(gate, workers: 0);
        await using var first = ActivatorUtilities.CreateInstance<DurableWorker>(host.Services);
        await first.StartAsync(CancellationToken.None);
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(BlockingOrchestrator), "stop");
        await WaitUntilAsync(() => gate.Started == 1);
        await AdvanceWhileRenewedAsync(host, VisibilityTimeout);

        // The activity ignores the stop, so the stop gives up waiting for it; renewal has stopped at once.
        using (var patience = new CancellationTokenSource(TimeSpan.FromMilliseconds(300)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first.StopAsync(patience.Token));
        }

        var renewals = host.Dispatcher.Renewals;
        host.Clock.Advance(VisibilityTimeout);
        await Task.Delay(100);
        Assert.Equal(renewals, host.Dispatcher.Renewals);

        await using var second = ActivatorUtilities.CreateInstance<DurableWorker>(host.Services);
        await second.StartAsync(CancellationToken.None);
        await WaitUntilAsync(() => gate.Started == 2);
        gate.Release();
        var completed = await host.WaitForCompletionAsync(id);

        Assert.Equal("stop done", completed.ReadOutputAs<string>());
        Assert.Equal(1, host.Dispatcher.Redeliveries);
    }

    [Fact]
    public async Task Activity_HeldLongerThanMaxLeaseRenewal_LeaseExpiresAndMessageComesBack()
    {
        var gate = new ActivityGate();
        await using var host = await StartAsync(gate, maxLeaseRenewal: VisibilityTimeout);
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(BlockingOrchestrator), "capped");
        await WaitUntilAsync(() => gate.Started == 1);
        await AdvanceWhileRenewedAsync(host, 2 * VisibilityTimeout / 3);

        // Just before the lease (renewed at 20 s for 30 s) would run out, the keeper gives up on it instead of renewing.
        var renewals = host.Dispatcher.Renewals;
        host.Clock.Advance(VisibilityTimeout - TimeSpan.FromSeconds(1));
        await Task.Delay(200);
        host.Clock.Advance(TimeSpan.FromSeconds(2));
        host.Dispatcher.Signal();
        await WaitUntilAsync(() => gate.Started == 2);
        gate.Release();
        var completed = await host.WaitForCompletionAsync(id);

        Assert.Equal("capped done", completed.ReadOutputAs<string>());
        Assert.Equal(renewals, host.Dispatcher.Renewals);
        Assert.Equal(1, host.Dispatcher.Redeliveries);
    }

    private static Task<DurableTestHost> StartAsync(ActivityGate gate, Action<IServiceCollection>? services = null, int workers = 1, TimeSpan? maxLeaseRenewal = null) =>
        DurableTestHost.StartAsync(
            r =>
            {
                SampleRegistration.RegisterAll(r);
                r.AddActivity<BlockingActivity>().AddOrchestrator<BlockingOrchestrator>();
            },
            o =>
            {
                o.WorkerCount = workers;
                o.ConfigureRuntime = r => (r.VisibilityTimeout, r.MaxLeaseRenewal) = (VisibilityTimeout, maxLeaseRenewal ?? r.MaxLeaseRenewal);
                o.ConfigureServices = s =>
                {
                    s.AddSingleton<SideEffectLog>().AddSingleton(gate);
                    services?.Invoke(s);
                };
            });

    /// <summary>
    /// Moves the fake clock by <paramref name="total"/> in steps of a third of the visibility timeout, each time waiting
    /// (real time) for the worker to renew: without renewals the held lease would expire after three steps.
    /// </summary>
    private static async Task AdvanceWhileRenewedAsync(DurableTestHost host, TimeSpan total)
    {
        for (var moved = TimeSpan.Zero; moved < total; moved += VisibilityTimeout / 3)
        {
            var renewals = host.Dispatcher.Renewals;
            host.Clock.Advance(VisibilityTimeout / 3);
            host.Dispatcher.Signal();
            await WaitUntilAsync(() => host.Dispatcher.Renewals > renewals);
        }
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

    /// <summary>Holds every <see cref="BlockingActivity"/> until released and counts how often it started.</summary>
    public sealed class ActivityGate
    {
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _started;

        public int Started => Volatile.Read(ref _started);

        /// <summary>Waits for the release; bounded in real time, so a failing test ends instead of hanging its host's stop.</summary>
        public Task Enter()
        {
            Interlocked.Increment(ref _started);
            return _released.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }

        public void Release() => _released.TrySetResult();
    }

    /// <summary>An activity that runs until the test releases it.</summary>
    public sealed class BlockingActivity(ActivityGate gate) : TaskActivity<string, string>
    {
        public override async Task<string> RunAsync(TaskActivityContext context, string input)
        {
            await gate.Enter();
            return input + " done";
        }
    }

    /// <summary>Calls <see cref="BlockingActivity"/> once.</summary>
    public sealed class BlockingOrchestrator : TaskOrchestrator<string, string>
    {
        public override Task<string> RunAsync(TaskOrchestrationContext context, string input) =>
            context.CallActivityAsync<string>(nameof(BlockingActivity), input);
    }
}
