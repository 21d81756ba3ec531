using EcosystemFlows.Durable.InMemory;
using EcosystemFlows.Durable.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace EcosystemFlows.Durable.Testing;

/// <summary>Options of <see cref="DurableTestHost"/>.</summary>
public sealed class DurableTestHostOptions
{
    /// <summary>Number of independent workers sharing the task hub.</summary>
    public int WorkerCount { get; set; } = 1;

    /// <summary>Enqueue every message twice.</summary>
    public bool DeliverEveryMessageTwice { get; set; }

    /// <summary>Initial time of the fake clock.</summary>
    public DateTimeOffset StartTime { get; set; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Longest real time to wait for the task hub to become idle.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Extra services (activity dependencies, logging).</summary>
    public Action<IServiceCollection>? ConfigureServices { get; set; }

    /// <summary>Runtime options.</summary>
    public Action<DurableTaskOptions>? ConfigureRuntime { get; set; }
}

/// <summary>
/// Runs orchestrations in-process on the in-memory backend with a <see cref="FakeTimeProvider"/>:
/// <see cref="AdvanceTimeAsync"/> jumps from timer to timer, so days of durable timers take milliseconds.
/// </summary>
public sealed class DurableTestHost : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly List<DurableWorker> _workers;
    private readonly TimeSpan _idleTimeout;

    private DurableTestHost(ServiceProvider services, List<DurableWorker> workers, TimeSpan idleTimeout)
    {
        _services = services;
        _workers = workers;
        _idleTimeout = idleTimeout;
    }

    /// <summary>The service provider (registry, client, backend, test services).</summary>
    public IServiceProvider Services => _services;

    /// <summary>A client for the task hub.</summary>
    public DurableTaskClient Client => _services.GetRequiredService<DurableTaskClient>();

    /// <summary>The fake clock every component uses.</summary>
    public FakeTimeProvider Clock => _services.GetRequiredService<FakeTimeProvider>();

    /// <summary>The instance store.</summary>
    public InMemoryInstanceStore Store => _services.GetRequiredService<InMemoryInstanceStore>();

    /// <summary>The dispatcher.</summary>
    public InMemoryDispatcher Dispatcher => _services.GetRequiredService<InMemoryDispatcher>();

    /// <summary>Builds the host and starts its workers.</summary>
    public static async Task<DurableTestHost> StartAsync(Action<DurableTaskRegistry> registerTasks, Action<DurableTestHostOptions>? configure = null)
    {
        var options = new DurableTestHostOptions();
        configure?.Invoke(options);
        var clock = new FakeTimeProvider(options.StartTime);
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(clock);
        services.AddSingleton<TimeProvider>(clock);
        services.AddDurableTask(registerTasks).UseInMemoryBackend();
        services.Configure<DurableTaskOptions>(o =>
        {
            o.ClientPollingInterval = TimeSpan.FromMilliseconds(2);
            options.ConfigureRuntime?.Invoke(o);
        });
        options.ConfigureServices?.Invoke(services);
        var provider = services.BuildServiceProvider(validateScopes: true);
        provider.GetRequiredService<InMemoryDispatcher>().DeliverEveryMessageTwice = options.DeliverEveryMessageTwice;

        // Workers are created here rather than by a generic host so a test controls how many run.
        var workers = Enumerable.Range(0, options.WorkerCount).Select(_ => ActivatorUtilities.CreateInstance<DurableWorker>(provider)).ToList();
        foreach (var worker in workers)
        {
            await worker.StartAsync(CancellationToken.None).ConfigureAwait(false);
        }

        return new DurableTestHost(provider, workers, options.IdleTimeout);
    }

    /// <summary>Waits until every message that is visible now has been processed.</summary>
    public Task WaitForIdleAsync() => Dispatcher.WaitForIdleAsync(_idleTimeout);

    /// <summary>
    /// Moves the clock forward by <paramref name="delta"/>, stopping at every due timer and letting the
    /// system go idle there, so timers fire at exactly their due time, in order.
    /// </summary>
    public async Task AdvanceTimeAsync(TimeSpan delta)
    {
        var target = Clock.GetUtcNow() + delta;
        while (true)
        {
            await WaitForIdleAsync().ConfigureAwait(false);
            var next = Dispatcher.NextVisibleAt;
            if (next is not { } due || due > target)
            {
                break;
            }

            if (due > Clock.GetUtcNow())
            {
                Clock.SetUtcNow(due);
            }

            Dispatcher.Signal();
        }

        Clock.SetUtcNow(target);
        Dispatcher.Signal();
        await WaitForIdleAsync().ConfigureAwait(false);
    }

    /// <summary>Waits (real time) for the instance to finish; the clock does not move meanwhile.</summary>
    public async Task<OrchestrationMetadata> WaitForCompletionAsync(string instanceId, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? _idleTimeout);
        return await Client.WaitForInstanceCompletionAsync(instanceId, getInputsAndOutputs: true, cts.Token).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var worker in _workers)
        {
            await worker.DisposeAsync().ConfigureAwait(false);
        }

        await _services.DisposeAsync().ConfigureAwait(false);
    }
}
