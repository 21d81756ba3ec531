using System.Collections.Concurrent;
using System.Globalization;
using EcosystemFlows.Durable.Diagnostics;
using EcosystemFlows.Durable.Ports;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EcosystemFlows.Durable.Worker;

/// <summary>
/// Receives control and work-item messages and processes them with bounded concurrency. Any number of
/// workers (in one or many processes) may share a task hub: correctness comes from the store's ETag
/// checks and the instances' processed-message ids, not from message ownership. Every lease the worker holds is
/// renewed until it is settled (<see cref="LeaseKeeper"/>); when the worker stops, renewal stops and the messages it
/// still held come back after <see cref="DurableTaskOptions.VisibilityTimeout"/>.
/// </summary>
public sealed class DurableWorker : IHostedService, IAsyncDisposable
{
    private readonly IMessageDispatcher _dispatcher;
    private readonly LeaseKeeper _leases;
    private readonly DurableTaskOptions _options;
    private readonly OrchestrationMessageProcessor _orchestrations;
    private readonly ActivityMessageProcessor _activities;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, string> _lastErrors = new();
    private readonly Dictionary<string, List<MessageLease>> _pending = new(StringComparer.Ordinal);
    private readonly List<Task> _instanceTasks = [];
    private readonly SemaphoreSlim _slots;
    private readonly SemaphoreSlim _activitySlots;
    private readonly ConcurrentDictionary<string, HeldWorkItem> _held = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _resending = new(StringComparer.Ordinal);
    private readonly TimeProvider _timeProvider;
    private readonly bool _pipelining;
    private long _heldSequence;
    private CancellationTokenSource? _stopping;
    private CancellationToken _stoppingToken = new(canceled: true);
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
        _options = options.Value;
        _timeProvider = timeProvider;
        _logger = loggerFactory.CreateLogger<DurableWorker>();

        // Everything this worker receives or stores held goes through the keeper, so it is renewed until settled.
        _leases = new LeaseKeeper(new TelemetryDispatcher(dispatcher, timeProvider), timeProvider, _options, _logger);
        dispatcher = _leases;
        _dispatcher = dispatcher;
        _orchestrations = new OrchestrationMessageProcessor(store, dispatcher, registry, services, converter, timeProvider, _options, loggerFactory);
        _activities = new ActivityMessageProcessor(dispatcher, registry, services, converter, timeProvider, loggerFactory);
        _slots = new SemaphoreSlim(_options.MaxConcurrentOrchestrations);
        _activitySlots = new SemaphoreSlim(_options.MaxConcurrentActivities);
        _pipelining = _options.PipelineSteps && _options.DeliverActivityResultsLocally;
    }

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _stopping = new CancellationTokenSource();
        var token = _stopping.Token;
        _stoppingToken = token;
        _loops =
        [
            Task.Run(() => RunControlLoopAsync(token), CancellationToken.None),
            Task.Run(() => _leases.RunAsync(token), CancellationToken.None),
            .. Enumerable.Range(0, _options.MaxConcurrentActivities).Select(_ => Task.Run(() => RunActivityLoopAsync(token), CancellationToken.None)),
        ];
        Log.WorkerStarted(_logger, _options.MaxConcurrentOrchestrations, _options.MaxConcurrentActivities);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // The host stops hosted services and the container later disposes them, sometimes concurrently
        // (WebApplicationFactory does): only the first caller stops the loops, and nobody touches a disposed source.
        if (Interlocked.Exchange(ref _stopping, null) is not { } stopping)
        {
            return;
        }

        try
        {
            await stopping.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(_loops).WaitAsync(cancellationToken).ConfigureAwait(false);

            // Activity loops may have left deletes running after the control loop drained.
            await DrainAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            stopping.Dispose();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);

    /// <summary>
    /// One receiver for the control queue; messages for the same instance are applied one batch after another
    /// in the order they were received (so events raised in order are applied in order, and a worker never
    /// races itself into ETag conflicts), different instances in parallel up to
    /// <see cref="DurableTaskOptions.MaxConcurrentOrchestrations"/>. Messages that arrive while their instance
    /// is busy wait and then run together as one episode.
    /// </summary>
    private async Task RunControlLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
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
                _slots.Release();
                break;
            }

            if (lease is null)
            {
                _slots.Release();
                continue;
            }

            Dispatch(lease, cancellationToken);
        }

        await DrainAsync().ConfigureAwait(false);
    }

    /// <summary>Waits for the instance chains and the deletes they left running; a chain may start more deletes meanwhile.</summary>
    private async Task DrainAsync()
    {
        while (true)
        {
            List<Task> running;
            lock (_pending)
            {
                _instanceTasks.RemoveAll(t => t.IsCompleted);
                running = [.. _instanceTasks];
            }

            if (running.Count == 0)
            {
                return;
            }

            await Task.WhenAll(running).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Deletes messages whose effect is committed once the outbox of that commit is sent (<paramref name="sent"/>),
    /// without holding up their instance's chain: its next episode overlaps with the send and delete round trips.
    /// A failed send makes them visible again, so a redelivery re-sends the outbox from the document; a delete that
    /// fails only means a redelivery, which the instance recognises as processed.
    /// </summary>
    private void CompleteInBackground(IReadOnlyList<MessageLease> leases, Task sent)
    {
        Track(CompleteAllAsync(leases, sent));
    }

    /// <summary>Keeps a background task of this worker, so stopping waits for it (<see cref="DrainAsync"/>).</summary>
    private void Track(Task running)
    {
        lock (_pending)
        {
            _instanceTasks.RemoveAll(t => t.IsCompleted);
            _instanceTasks.Add(running);
        }
    }

    private async Task CompleteAllAsync(IReadOnlyList<MessageLease> leases, Task sent)
    {
        // Off the caller, so the chain goes on at once.
        await Task.Yield();
        try
        {
            await sent.ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Whatever failed the send, the messages must come back so that it is redone.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            foreach (var lease in leases)
            {
                Log.MessageFailed(_logger, ex, lease.Message.Id, lease.Message.InstanceId, lease.DequeueCount);
                _lastErrors[lease.Message.Id] = $"{ex.GetType().FullName}: {ex.Message}";
                await AbandonQuietlyAsync(lease).ConfigureAwait(false);
            }

            ResendInBackground(leases[0].Message.InstanceId);
            return;
        }

        var parallelism = new ParallelOptions { MaxDegreeOfParallelism = 16 };
        await Parallel.ForEachAsync(leases, parallelism, async (lease, ct) =>
        {
            try
            {
                await SettleAsync(lease, abandon: false, ct).ConfigureAwait(false);
                _lastErrors.TryRemove(lease.Message.Id, out _);
            }
#pragma warning disable CA1031 // The message comes back and is recognised as processed; nothing to undo.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.CompleteFailed(_logger, ex, lease.Message.Id, lease.Message.InstanceId);
            }
        }).ConfigureAwait(false);
    }

    /// <summary>
    /// After a committed step's send failed, sends the instance's outbox from its document until that succeeds or the
    /// worker stops. The abandoned messages usually bring it back anyway, but not all can: the result of an activity
    /// that ran here before its work item was stored, when that store failed, exists nowhere else. Without this, an
    /// instance waiting for what its lost outbox held would wait forever.
    /// </summary>
    private void ResendInBackground(string instanceId)
    {
        if (_stoppingToken.IsCancellationRequested || !_resending.TryAdd(instanceId, 0))
        {
            return;
        }

        Track(ResendUntilSentAsync(instanceId));
    }

    private async Task ResendUntilSentAsync(string instanceId)
    {
        try
        {
            var delay = TimeSpan.FromSeconds(1);
            while (true)
            {
                await Task.Delay(delay, _timeProvider, _stoppingToken).ConfigureAwait(false);
                try
                {
                    await _orchestrations.ResendOutboxAsync(instanceId, _stoppingToken).ConfigureAwait(false);
                    return;
                }
                catch (Exception ex) when (!_stoppingToken.IsCancellationRequested)
                {
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.VisibilityTimeout.Ticks));
                    Log.OutboxResendFailed(_logger, ex, instanceId, delay);
                }
            }
        }
        catch (OperationCanceledException) when (_stoppingToken.IsCancellationRequested)
        {
            // Stopping: the abandoned messages (or their expired leases) bring the instance back to whoever runs then.
        }
        finally
        {
            _resending.TryRemove(instanceId, out _);
        }
    }

    /// <summary>Queues a control message on its instance's chain; the caller holds a slot, released here or when the chain ends.</summary>
    private void Dispatch(MessageLease lease, CancellationToken cancellationToken)
    {
        var instanceId = lease.Message.InstanceId;
        lock (_pending)
        {
            if (_pending.TryGetValue(instanceId, out var queued))
            {
                // The instance is busy: the message joins its next batch and needs no slot of its own.
                queued.Add(lease);
                _slots.Release();
                return;
            }

            _pending[instanceId] = [lease];
            _instanceTasks.RemoveAll(t => t.IsCompleted);
            _instanceTasks.Add(RunInstanceAsync(instanceId, cancellationToken));
        }
    }

    private async Task RunInstanceAsync(string instanceId, CancellationToken cancellationToken)
    {
        try
        {
            // Off the caller (receive loop or activity), so it goes on while this instance runs.
            await Task.Yield();
            while (true)
            {
                List<MessageLease> batch;
                lock (_pending)
                {
                    var queued = _pending[instanceId];
                    if (queued.Count == 0)
                    {
                        _pending.Remove(instanceId);
                        return;
                    }

                    batch = [.. queued.Take(_options.MaxBatchSize)];
                    queued.RemoveRange(0, batch.Count);
                }

                await HandleBatchAsync(batch, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _slots.Release();
        }
    }

    /// <summary>
    /// Runs an activity and applies its result on the instance's chain in this worker, instead of sending it
    /// through the control queue (<see cref="DurableTaskOptions.DeliverActivityResultsLocally"/>). The work
    /// item itself stands for the result: it is deleted only after the result's episode committed, so after a
    /// crash it reappears, the activity runs again (its side effects dedupe on the idempotency key) and the
    /// result is delivered then.
    /// </summary>
    private async Task HandleActivityAsync(MessageLease lease, CancellationToken cancellationToken)
    {
        if (await TryPoisonAsync(lease, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        try
        {
            var reply = await _activities.RunToReplyAsync(lease.Message).ConfigureAwait(false);
            await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
            Dispatch(lease with { Message = reply }, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: the work item's lease expires and the activity runs again elsewhere.
        }
#pragma warning disable CA1031 // A failing work item must not stop the loop; it is retried and eventually poisoned.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.MessageFailed(_logger, ex, lease.Message.Id, lease.Message.InstanceId, lease.DequeueCount);
            _lastErrors[lease.Message.Id] = $"{ex.GetType().FullName}: {ex.Message}";

            // Quietly: a failed abandon must not end this activity loop.
            await AbandonQuietlyAsync(lease).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Starts a work item of a step not committed yet (<see cref="DurableTaskOptions.PipelineSteps"/>) when an activity
    /// slot is free. Its result joins the instance's chain under a lease of this worker's own, which settles the stored
    /// work item if the step's commit had to store it (see <see cref="SettleAsync"/>).
    /// </summary>
    private bool TryRunHere(HeldWorkItem held, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested || !_activitySlots.Wait(0))
        {
            return false;
        }

        var leaseId = "held:" + Interlocked.Increment(ref _heldSequence).ToString(CultureInfo.InvariantCulture);
        _held[leaseId] = held;
        Track(RunHeldAsync(held, leaseId, cancellationToken));
        return true;
    }

    private async Task RunHeldAsync(HeldWorkItem held, string leaseId, CancellationToken cancellationToken)
    {
        var lease = new MessageLease(held.Message, DispatchQueue.WorkItem, leaseId, 1);
        try
        {
            // Off the episode that started it, which goes on to commit.
            await Task.Yield();
            TaskMessage reply;
            try
            {
                reply = await _activities.RunToReplyAsync(held.Message).ConfigureAwait(false);
            }
            finally
            {
                _activitySlots.Release();
            }

            await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
            Dispatch(lease with { Message = reply }, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: if its step was committed, the stored work item's lease expires and it runs again elsewhere.
            _held.TryRemove(leaseId, out _);
        }
#pragma warning disable CA1031 // Like a failing work item: the stored one (if any) comes back and runs again.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.MessageFailed(_logger, ex, held.Message.Id, held.Message.InstanceId, 1);
            await AbandonQuietlyAsync(lease).ConfigureAwait(false);
        }
    }

    private async Task HandleBatchAsync(List<MessageLease> batch, CancellationToken cancellationToken)
    {
        var live = new List<MessageLease>(batch.Count);
        foreach (var lease in batch)
        {
            if (!await TryPoisonAsync(lease, cancellationToken).ConfigureAwait(false))
            {
                live.Add(lease);
            }
        }

        if (live.Count == 0 || (_pipelining && await TryPipelineAsync(live, cancellationToken).ConfigureAwait(false)))
        {
            return;
        }

        // Results of held work items whose step was lost: not applied; the step runs again and schedules them anew.
        foreach (var lease in live.Where(l => _held.TryGetValue(l.LeaseId, out var held) && held.IsVoid).ToList())
        {
            live.Remove(lease);
            await AbandonQuietlyAsync(lease).ConfigureAwait(false);
        }

        if (live.Count == 1)
        {
            await HandleLeaseAsync(live[0], _orchestrations.CommitAsync, cancellationToken).ConfigureAwait(false);
            return;
        }

        Task sent;
        try
        {
            sent = await _orchestrations.CommitBatchAsync([.. live.Select(l => l.Message)], cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return;
        }
#pragma warning disable CA1031 // One bad message must not fail (and eventually poison) the good ones batched with it.
        catch (Exception)
#pragma warning restore CA1031
        {
            foreach (var lease in live)
            {
                await HandleLeaseAsync(lease, _orchestrations.CommitAsync, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        CompleteInBackground(live, sent);
    }

    /// <summary>
    /// Runs the batch as a pipelined step (<see cref="DurableTaskOptions.PipelineSteps"/>); false when it cannot be,
    /// after the instance's uncommitted steps drained, so the caller commits it on the stored state.
    /// </summary>
    private async Task<bool> TryPipelineAsync(List<MessageLease> live, CancellationToken cancellationToken)
    {
        PipelinedStep? step;
        try
        {
            step = _orchestrations.TryPipeline(
                [.. live.Select(l => new PipelinedMessage(l.Message, _held.TryGetValue(l.LeaseId, out var held) ? held : null))],
                held => TryRunHere(held, cancellationToken),
                cancellationToken);
        }
#pragma warning disable CA1031 // The messages are committed the regular way, which retries and reports per message.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.MessageFailed(_logger, ex, live[0].Message.Id, live[0].Message.InstanceId, live[0].DequeueCount);
            step = null;
        }

        if (step is null)
        {
            await _orchestrations.WhenDrainedAsync(live[0].Message.InstanceId).ConfigureAwait(false);
            return false;
        }

        var droppedMessages = step.Dropped.ToHashSet(ReferenceEqualityComparer.Instance);
        var dropped = live.Where(l => droppedMessages.Contains(l.Message)).ToList();
        foreach (var lease in dropped)
        {
            await AbandonQuietlyAsync(lease).ConfigureAwait(false);
        }

        CompleteInBackground([.. live.Except(dropped)], step.Settled);
        return true;
    }

    /// <summary>Deletes or abandons a lease; one on a held work item's result settles the stored work item, if it was stored.</summary>
    private async Task SettleAsync(MessageLease lease, bool abandon, CancellationToken cancellationToken)
    {
        if (_held.TryRemove(lease.LeaseId, out var held))
        {
            if (await held.Stored.ConfigureAwait(false) is not { } stored)
            {
                return;
            }

            lease = stored;
        }

        await (abandon ? _dispatcher.AbandonAsync(lease, cancellationToken) : _dispatcher.CompleteAsync(lease, cancellationToken)).ConfigureAwait(false);
    }

    private async Task AbandonQuietlyAsync(MessageLease lease)
    {
        try
        {
            await SettleAsync(lease, abandon: true, CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The lease expires anyway; abandoning only brings the redelivery forward.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.CompleteFailed(_logger, ex, lease.Message.Id, lease.Message.InstanceId);
        }
    }

    /// <summary>
    /// Moves a message dequeued too often to the poison store; true when it is not to be processed now. A poison store
    /// that cannot be reached leaves the message for a later delivery, which tries again: the failure must not escape,
    /// because it would end the instance's chain (<see cref="RunInstanceAsync"/>) with its later messages queued on it.
    /// </summary>
    private async Task<bool> TryPoisonAsync(MessageLease lease, CancellationToken cancellationToken)
    {
        if (lease.DequeueCount <= _options.MaxDequeueCount)
        {
            return false;
        }

        var message = lease.Message;
        var reason = $"Dequeued {lease.DequeueCount} times (maximum {_options.MaxDequeueCount}); last error: {_lastErrors.GetValueOrDefault(message.Id) ?? "lease expired"}";
        try
        {
            await _dispatcher.PoisonAsync(lease, reason, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            Log.PoisonFailed(_logger, ex, message.Id, message.InstanceId);
            await AbandonQuietlyAsync(lease).ConfigureAwait(false);
            return true;
        }

        _lastErrors.TryRemove(message.Id, out _);
        Log.MessagePoisoned(_logger, message.Id, message.InstanceId, reason);
        return true;
    }

    private async Task RunActivityLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            MessageLease? lease;
            try
            {
                lease = await _dispatcher.ReceiveAsync(DispatchQueue.WorkItem, _options.VisibilityTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            if (lease is null)
            {
                continue;
            }

            // Slots, not loops, bound the running activities: held work items of pipelined steps take them too. Taken
            // after the receive, so idle loops polling the queue do not hold the slots a held work item needs.
            try
            {
                await _activitySlots.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                await AbandonQuietlyAsync(lease).ConfigureAwait(false);
                return;
            }

            try
            {
                if (_options.DeliverActivityResultsLocally)
                {
                    await HandleActivityAsync(lease, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await HandleAsync(lease, SendActivityResultAsync, cancellationToken).ConfigureAwait(false);
                }
            }
            finally
            {
                _activitySlots.Release();
            }
        }
    }

    private async Task<Task> SendActivityResultAsync(TaskMessage message, CancellationToken cancellationToken)
    {
        await _activities.ProcessAsync(message, cancellationToken).ConfigureAwait(false);
        return Task.CompletedTask;
    }

    /// <summary>Processes one message unless it is poisoned; see <see cref="HandleLeaseAsync"/>.</summary>
    private async Task HandleAsync(MessageLease lease, Func<TaskMessage, CancellationToken, Task<Task>> process, CancellationToken cancellationToken)
    {
        if (!await TryPoisonAsync(lease, cancellationToken).ConfigureAwait(false))
        {
            await HandleLeaseAsync(lease, process, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Processes one message; <paramref name="process"/> returns once the effect is committed, with the task that must succeed before the delete.</summary>
    private async Task HandleLeaseAsync(MessageLease lease, Func<TaskMessage, CancellationToken, Task<Task>> process, CancellationToken cancellationToken)
    {
        var message = lease.Message;
        try
        {
            var sent = await process(message, cancellationToken).ConfigureAwait(false);
            CompleteInBackground([lease], sent);
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
            await AbandonQuietlyAsync(lease).ConfigureAwait(false);

            // The failure may have been the re-send of an earlier commit's outbox, with this message one that cannot come back.
            ResendInBackground(message.InstanceId);
        }
    }
}
