using System.Collections.Concurrent;
using EcosystemFlows.Durable.Ports;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EcosystemFlows.Durable.Worker;

/// <summary>
/// Receives control and work-item messages and processes them with bounded concurrency. Any number of
/// workers (in one or many processes) may share a task hub: correctness comes from the store's ETag
/// checks and the instances' processed-message ids, not from message ownership.
/// </summary>
public sealed class DurableWorker : IHostedService, IAsyncDisposable
{
    private readonly IMessageDispatcher _dispatcher;
    private readonly DurableTaskOptions _options;
    private readonly OrchestrationMessageProcessor _orchestrations;
    private readonly ActivityMessageProcessor _activities;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, string> _lastErrors = new();
    private CancellationTokenSource? _stopping;
    private Task[] _loops = [];

    /// <summary>Creates a worker over the registered store and dispatcher.</summary>
    public DurableWorker(
        IInstanceStore store,
        IMessageDispatcher dispatcher,
        DurableTaskRegistry registry,
        IServiceProvider services,
        DataConverter converter,
        TimeProvider timeProvider,
        IOptions<DurableTaskOptions> options,
        ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _dispatcher = dispatcher;
        _options = options.Value;
        _orchestrations = new OrchestrationMessageProcessor(store, dispatcher, registry, services, converter, timeProvider, _options, loggerFactory);
        _activities = new ActivityMessageProcessor(dispatcher, registry, services, converter, timeProvider, loggerFactory);
        _logger = loggerFactory.CreateLogger<DurableWorker>();
    }

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _stopping = new CancellationTokenSource();
        var token = _stopping.Token;
        _loops =
        [
            Task.Run(() => RunControlLoopAsync(token), CancellationToken.None),
            .. Enumerable.Range(0, _options.MaxConcurrentActivities).Select(_ => Task.Run(() => RunLoopAsync(DispatchQueue.WorkItem, _activities.ProcessAsync, token), CancellationToken.None)),
        ];
        Log.WorkerStarted(_logger, _options.MaxConcurrentOrchestrations, _options.MaxConcurrentActivities);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_stopping is null)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_loops).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _stopping?.Dispose();
    }

    /// <summary>
    /// One receiver for the control queue; messages for the same instance run one after another in the
    /// order they were received (so events raised in order are applied in order, and a worker never
    /// races itself into ETag conflicts), different instances in parallel up to
    /// <see cref="DurableTaskOptions.MaxConcurrentOrchestrations"/>.
    /// </summary>
    private async Task RunControlLoopAsync(CancellationToken cancellationToken)
    {
        using var slots = new SemaphoreSlim(_options.MaxConcurrentOrchestrations);
        var chains = new Dictionary<string, Task>(StringComparer.Ordinal);
        var inFlight = new List<Task>();
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            MessageLease? lease;
            try
            {
                lease = await _dispatcher.ReceiveAsync(DispatchQueue.Control, _options.VisibilityTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                slots.Release();
                break;
            }

            if (lease is null)
            {
                slots.Release();
                continue;
            }

            var instanceId = lease.Message.InstanceId;
            var previous = chains.GetValueOrDefault(instanceId, Task.CompletedTask);
            var next = RunAfterAsync(previous, lease, slots, cancellationToken);
            chains[instanceId] = next;
            inFlight.Add(next);
            inFlight.RemoveAll(t => t.IsCompleted);
            foreach (var done in chains.Where(c => c.Value.IsCompleted).Select(c => c.Key).ToList())
            {
                chains.Remove(done);
            }
        }

        await Task.WhenAll(inFlight).ConfigureAwait(false);
    }

    private async Task RunAfterAsync(Task previous, MessageLease lease, SemaphoreSlim slots, CancellationToken cancellationToken)
    {
        try
        {
            await previous.ConfigureAwait(false);
            await HandleAsync(lease, _orchestrations.ProcessAsync, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            slots.Release();
        }
    }

    private async Task RunLoopAsync(DispatchQueue queue, Func<TaskMessage, CancellationToken, Task> process, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            MessageLease? lease;
            try
            {
                lease = await _dispatcher.ReceiveAsync(queue, _options.VisibilityTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            if (lease is not null)
            {
                await HandleAsync(lease, process, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task HandleAsync(MessageLease lease, Func<TaskMessage, CancellationToken, Task> process, CancellationToken cancellationToken)
    {
        var message = lease.Message;
        if (lease.DequeueCount > _options.MaxDequeueCount)
        {
            _lastErrors.TryRemove(message.Id, out var lastError);
            var reason = $"Dequeued {lease.DequeueCount} times (maximum {_options.MaxDequeueCount}); last error: {lastError ?? "lease expired"}";
            await _dispatcher.PoisonAsync(lease, reason, cancellationToken).ConfigureAwait(false);
            Log.MessagePoisoned(_logger, message.Id, message.InstanceId, reason);
            return;
        }

        try
        {
            await process(message, cancellationToken).ConfigureAwait(false);
            await _dispatcher.CompleteAsync(lease, cancellationToken).ConfigureAwait(false);
            _lastErrors.TryRemove(message.Id, out _);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: the lease expires and another worker receives the message.
        }
#pragma warning disable CA1031 // A failing message must not stop the loop; it is retried and eventually poisoned.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.MessageFailed(_logger, ex, message.Id, message.InstanceId, lease.DequeueCount);
            _lastErrors[message.Id] = $"{ex.GetType().FullName}: {ex.Message}";
            await _dispatcher.AbandonAsync(lease, CancellationToken.None).ConfigureAwait(false);
        }
    }
}
