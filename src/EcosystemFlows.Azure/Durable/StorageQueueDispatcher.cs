using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using EcosystemFlows.Durable.History;
using EcosystemFlows.Durable.Ports;
using global::Azure;
using global::Azure.Storage.Queues;
using global::Azure.Storage.Queues.Models;

namespace EcosystemFlows.Azure.Durable;

/// <summary>
/// <see cref="IMessageDispatcher"/> on Azure Storage queues (the Durable Functions storage model):
/// <see cref="DurableStorageOptions.ControlQueueCount"/> control queues, an instance's messages always in the
/// one its id hashes to, and one work-item queue.
/// <list type="bullet">
/// <item>Every queue call costs a round trip (several milliseconds on Azurite, more under load), so sends to
/// the same queue that overlap in time are <b>group-committed</b>: one queue message (envelope) carries up to
/// <see cref="DurableStorageOptions.ReceiveBatchSize"/> task messages. A send returns only once its envelope
/// is stored. A received envelope yields one lease per task message; the queue message is deleted when all
/// of them are completed, or made visible again when any was abandoned (the others then run again, which
/// at-least-once delivery allows).</item>
/// <item>One receive pump per queue fetches up to 32 queue messages per call into a local buffer; empty polls
/// back off up to <see cref="DurableStorageOptions.MaxPollingInterval"/>, and a send from this process wakes
/// the pump at once.</item>
/// <item>In-process fast path: when this process consumes the target queue, an envelope is stored invisible
/// for one lease and handed straight to the local consumers (work items already while being stored); if the
/// process dies, it reappears when the lease expires, exactly like a received message.</item>
/// <item>Messages above <see cref="DurableStorageOptions.MaxInlineMessageBytes"/> go to a blob written before
/// the queue message that refers to it.</item>
/// <item>Poisoned messages go to the <c>{hub}-poison</c> blob container as JSON with the reason: a blob keeps
/// a message of any size with its reason, and an operator can read or re-submit it.</item>
/// <item>Renewal (<see cref="RenewAsync"/>) gives the queue message a new pop receipt, while the lease id keeps the
/// one it was received with: the current receipt of every queue message this process holds is kept in a registry
/// (<see cref="HeldMessage"/>), renewals and the settlement of one queue message run one after another, and all the
/// task messages of an envelope share one entry, so one update renews them all. A lease waiting in the local buffer
/// longer than half its visibility timeout is renewed before it is handed out, or dropped when lost.</item>
/// </list>
/// </summary>
public sealed class StorageQueueDispatcher : IMessageDispatcher, IAsyncDisposable, IDisposable
{
    private const int LocalBufferCapacity = 2048;
    private static readonly TimeSpan MinPollingInterval = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan NeverExpires = TimeSpan.FromSeconds(-1);
    private static readonly TimeSpan PruneInterval = TimeSpan.FromMinutes(10);
    private readonly TaskHubResources _hub;
    private readonly TimeProvider _timeProvider;
    private readonly Receiver _control;
    private readonly Receiver _workItems;
    private readonly SendGroup[] _controlGroups;
    private readonly SendGroup _workItemGroup;
    private readonly SendGroup _heldWorkItemGroup;
    private readonly ConcurrentDictionary<string, SharedEnvelope> _shared = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task<Receipt>> _handedOver = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, HeldMessage> _heldMessages = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private long _handOverSequence;
    private long _nextPruneTimestamp;
    private int _disposed;

    /// <summary>Creates the dispatcher over the task hub's queues.</summary>
    public StorageQueueDispatcher(TaskHubResources hub, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(hub);
        _hub = hub;
        _timeProvider = timeProvider;
        _control = new Receiver(DispatchQueue.Control, [.. hub.ControlQueues]);
        _workItems = new Receiver(DispatchQueue.WorkItem, [hub.WorkItems]);
        _controlGroups = [.. Enumerable.Range(0, hub.ControlQueues.Count).Select(i => new SendGroup(this, DispatchQueue.Control, i))];
        _workItemGroup = new SendGroup(this, DispatchQueue.WorkItem, 0);
        _heldWorkItemGroup = new SendGroup(this, DispatchQueue.WorkItem, 0);
    }

    /// <summary>
    /// Storage queues hide a message for at most 7 days; a little less leaves room for clock skew. The
    /// worker chains longer timers.
    /// </summary>
    public TimeSpan? MaximumDelay => TimeSpan.FromDays(7) - TimeSpan.FromMinutes(5);

    /// <summary>The control queue an instance's messages go to (stable hash of its id).</summary>
    public int PartitionOf(string instanceId)
    {
        ArgumentNullException.ThrowIfNull(instanceId);

        // FNV-1a over UTF-16 code units: stable across processes and versions (string.GetHashCode is not).
        var hash = 2166136261u;
        foreach (var c in instanceId)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)(hash % (uint)_hub.ControlQueues.Count);
    }

    /// <inheritdoc />
    public async Task SendAsync(DispatchQueue queue, TaskMessage message, DateTimeOffset? visibleAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        await _hub.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var partition = queue == DispatchQueue.Control ? PartitionOf(message.InstanceId) : 0;
        var json = JsonSerializer.Serialize(message, DurableJson.Options);
        TimeSpan? delay = null;
        if (visibleAt is { } at && at - _timeProvider.GetUtcNow() is { Ticks: > 0 } wait)
        {
            delay = wait > MaximumDelay!.Value ? MaximumDelay.Value : wait;
        }

        var pending = new PendingSend(message, json);
        if (delay is not null || Encoding.UTF8.GetByteCount(json) + 16 > _hub.Options.MaxInlineMessageBytes)
        {
            // Timers and large messages travel alone.
            await SendEnvelopeAsync(queue, partition, [pending], delay, cancellationToken).ConfigureAwait(false);
            return;
        }

        var group = queue == DispatchQueue.Control ? _controlGroups[partition] : _workItemGroup;
        _ = await group.SendAsync(pending).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<MessageLease> SendLeasedAsync(DispatchQueue queue, TaskMessage message, TimeSpan visibilityTimeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        await _hub.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var partition = queue == DispatchQueue.Control ? PartitionOf(message.InstanceId) : 0;
        var pending = new PendingSend(message, JsonSerializer.Serialize(message, DurableJson.Options), visibilityTimeout);
        if (queue == DispatchQueue.Control || Encoding.UTF8.GetByteCount(pending.Json) + 16 > _hub.Options.MaxInlineMessageBytes)
        {
            return (await SendHeldEnvelopeAsync(queue, partition, [pending], visibilityTimeout, cancellationToken).ConfigureAwait(false))[0];
        }

        // Held work items of many instances' commits overlap in time: they share envelopes like other sends.
        return (await _heldWorkItemGroup.SendAsync(pending).WaitAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <inheritdoc />
    public async Task<MessageLease?> ReceiveAsync(DispatchQueue queue, TimeSpan visibilityTimeout, CancellationToken cancellationToken)
    {
        var receiver = ReceiverOf(queue);
        receiver.EnsurePumping(this, visibilityTimeout);
        if (receiver.Buffer.Reader.TryRead(out var buffered) && await IsLiveAsync(buffered, visibilityTimeout, cancellationToken).ConfigureAwait(false))
        {
            return buffered.Lease;
        }

        // Long poll on the local buffer; the pump does the (backed-off) polling of the queues.
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(_hub.Options.MaxPollingInterval);
        while (true)
        {
            try
            {
                buffered = await receiver.Buffer.Reader.ReadAsync(wait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return null;
            }

            if (await IsLiveAsync(buffered, visibilityTimeout, cancellationToken).ConfigureAwait(false))
            {
                return buffered.Lease;
            }
        }
    }

    /// <inheritdoc />
    public async Task<bool> RenewAsync(MessageLease lease, TimeSpan visibilityTimeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        Receipt receipt;
        if (lease.LeaseId.StartsWith('~'))
        {
            // Handed over before it was stored: renewable once stored, lost when settled or never stored.
            if (!_handedOver.TryGetValue(lease.LeaseId, out var stored))
            {
                return false;
            }

            try
            {
                receipt = await stored.ConfigureAwait(false);
            }
#pragma warning disable CA1031 // The sender got the failure; a message never stored has no lease to keep.
            catch (Exception)
#pragma warning restore CA1031
            {
                return false;
            }
        }
        else
        {
            receipt = Receipt.Parse(lease.LeaseId);
        }

        // A settled part of an envelope is lost even while its envelope mates keep the queue message.
        var unsettled = lease.LeaseId.StartsWith('~') ? _handedOver.ContainsKey(lease.LeaseId) : receipt.Part == 0 || _shared.ContainsKey(lease.LeaseId);
        if (!unsettled || !_heldMessages.TryGetValue(HeldKey(lease.Queue, receipt), out var held))
        {
            return false;
        }

        var queue = QueueOf(lease.Queue, receipt.QueueIndex);
        return await held.SerializeAsync(async () =>
        {
            if (held.IsGone)
            {
                return false;
            }

            // The parts of an envelope are held and renewed together: the first renewal serves the others.
            var now = _timeProvider.GetUtcNow();
            if (held.HiddenUntil - now >= visibilityTimeout - (visibilityTimeout / 10))
            {
                return true;
            }

            try
            {
                var updated = await queue.UpdateMessageAsync(receipt.MessageId, held.PopReceipt, visibilityTimeout: visibilityTimeout, cancellationToken: cancellationToken).ConfigureAwait(false);
                (held.PopReceipt, held.HiddenUntil) = (updated.Value.PopReceipt, now + visibilityTimeout);
                return true;
            }
            catch (RequestFailedException ex) when (ex.Status is 404 or 400)
            {
                // Deleted, or received again by someone else after it expired: the receipt no longer matches.
                held.IsGone = true;
                _heldMessages.TryRemove(HeldKey(lease.Queue, receipt), out _);
                return false;
            }
        }).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task CompleteAsync(MessageLease lease, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        if (await ReceiptOfAsync(lease).ConfigureAwait(false) is { } receipt)
        {
            await SettleAsync(lease, receipt, abandoned: false, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async Task AbandonAsync(MessageLease lease, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        if (await ReceiptOfAsync(lease).ConfigureAwait(false) is { } receipt)
        {
            await SettleAsync(lease, receipt, abandoned: true, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async Task PoisonAsync(MessageLease lease, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        if (await ReceiptOfAsync(lease).ConfigureAwait(false) is not { } receipt)
        {
            return;
        }

        var record = new PoisonRecord(lease.Queue, QueueOf(lease.Queue, receipt.QueueIndex).Name, receipt.MessageId, lease.DequeueCount, reason, _timeProvider.GetUtcNow(), lease.Message);
        var name = $"{lease.Queue.ToString().ToLowerInvariant()}/{record.PoisonedAt:yyyy-MM-dd}/{receipt.MessageId}-{receipt.Part}.json";

        // Written before the delete: a crash in between leaves the message in the queue, never lost.
        await _hub.Poison.GetBlobClient(name).UploadAsync(BinaryData.FromObjectAsJson(record, DurableJson.Options), overwrite: true, cancellationToken).ConfigureAwait(false);
        await SettleAsync(lease, receipt, abandoned: false, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops the receive pumps; leased but unprocessed messages reappear after their visibility timeout.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var pump in new[] { _control.Pump, _workItems.Pump }.OfType<Task>())
        {
            await pump.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _stopping.Dispose();
    }

    /// <summary>Stops the receive pumps without waiting for them (containers disposed synchronously).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _stopping.Cancel();
        }
    }

    private Receiver ReceiverOf(DispatchQueue queue) => queue == DispatchQueue.Control ? _control : _workItems;

    private QueueClient QueueOf(DispatchQueue queue, int index) => queue == DispatchQueue.Control ? _hub.ControlQueues[index] : _hub.WorkItems;

    /// <summary>Stores one envelope with <paramref name="messages"/> and, when this process consumes the queue, hands them over locally.</summary>
    private async Task SendEnvelopeAsync(DispatchQueue queue, int partition, IReadOnlyList<PendingSend> messages, TimeSpan? delay, CancellationToken cancellationToken)
    {
        var client = QueueOf(queue, partition);
        var (body, blobName) = await EnvelopeAsync(messages, cancellationToken).ConfigureAwait(false);
        var receiver = ReceiverOf(queue);
        if (delay is null && queue == DispatchQueue.WorkItem && receiver.CanDeliverLocally(messages.Count))
        {
            // Work items go to the local consumers before they are stored, so an activity runs while its message is
            // being written; they settle it once it is stored (invisible for one lease, as if received). A result
            // may so commit before its work item is stored: safe, because the worker deletes the message that
            // triggered the sending episode only after this store succeeded, and a redelivery of that message
            // re-sends the outbox from the document.
            var stored = new TaskCompletionSource<Receipt>(TaskCreationOptions.RunContinuationsAsynchronously);
            foreach (var lease in Deliveries(HandOver(queue, [.. messages.Select(m => m.Message)], stored.Task)))
            {
                receiver.Buffer.Writer.TryWrite(new Buffered(lease, _timeProvider.GetTimestamp()));
            }

            try
            {
                var sent = (await client.SendMessageAsync(body, receiver.VisibilityTimeout, NeverExpires, cancellationToken).ConfigureAwait(false)).Value;
                var receipt = new Receipt(partition, sent.MessageId, sent.PopReceipt, blobName, 0);
                Hold(queue, receipt, receiver.VisibilityTimeout);
                stored.SetResult(receipt);
            }
            catch (Exception ex)
            {
                stored.SetException(ex);
                throw;
            }

            return;
        }

        if (delay is null && receiver.CanDeliverLocally(messages.Count))
        {
            // Invisible for one lease: the local consumers hold it as if they had received it.
            var sent = (await client.SendMessageAsync(body, receiver.VisibilityTimeout, NeverExpires, cancellationToken).ConfigureAwait(false)).Value;
            var receipt = new Receipt(partition, sent.MessageId, sent.PopReceipt, blobName, 0);
            foreach (var lease in Deliveries(Lease(queue, receipt, [.. messages.Select(m => m.Message)], 1, receiver.VisibilityTimeout)))
            {
                receiver.Buffer.Writer.TryWrite(new Buffered(lease, _timeProvider.GetTimestamp()));
            }

            return;
        }

        // Messages never expire: a durable timer or an unprocessed result must not vanish after 7 days.
        await client.SendMessageAsync(body, delay, NeverExpires, cancellationToken).ConfigureAwait(false);
        if (delay is null)
        {
            receiver.Wake(partition);
        }
    }

    /// <summary>Stores an envelope invisible for <paramref name="heldFor"/> and returns its leases, as if this process had received it.</summary>
    private async Task<List<MessageLease>> SendHeldEnvelopeAsync(DispatchQueue queue, int partition, IReadOnlyList<PendingSend> messages, TimeSpan heldFor, CancellationToken cancellationToken)
    {
        var (body, blobName) = await EnvelopeAsync(messages, cancellationToken).ConfigureAwait(false);
        var sent = (await QueueOf(queue, partition).SendMessageAsync(body, heldFor, NeverExpires, cancellationToken).ConfigureAwait(false)).Value;
        return Lease(queue, new Receipt(partition, sent.MessageId, sent.PopReceipt, blobName, 0), [.. messages.Select(m => m.Message)], 1, heldFor);
    }

    /// <summary>The queue message body carrying <paramref name="messages"/>: inline, or in a blob written first when too large.</summary>
    private async Task<(string Body, string? BlobName)> EnvelopeAsync(IReadOnlyList<PendingSend> messages, CancellationToken cancellationToken)
    {
        var body = messages.Count == 1
            ? $"{{\"m\":{messages[0].Json}}}"
            : $"{{\"ms\":[{string.Join(',', messages.Select(m => m.Json))}]}}";
        if (Encoding.UTF8.GetByteCount(body) <= _hub.Options.MaxInlineMessageBytes)
        {
            return (body, null);
        }

        var blobName = $"messages/{Guid.NewGuid():N}.json";
        await _hub.Payloads.GetBlobClient(blobName).UploadAsync(BinaryData.FromString(body), overwrite: false, cancellationToken).ConfigureAwait(false);
        return (JsonSerializer.Serialize(new Envelope(null, null, blobName), DurableJson.Options), blobName);
    }

    /// <summary>One lease per task message of an envelope, hidden for <paramref name="hiddenFor"/>; their settlement is tracked until the last one.</summary>
    private List<MessageLease> Lease(DispatchQueue queue, Receipt receipt, IReadOnlyList<TaskMessage> messages, int dequeueCount, TimeSpan hiddenFor)
    {
        Hold(queue, receipt, hiddenFor);
        if (messages.Count == 1)
        {
            return [new MessageLease(messages[0], queue, receipt.ToString(), dequeueCount)];
        }

        var shared = new SharedEnvelope(messages.Count);
        var leases = new List<MessageLease>(messages.Count);
        for (var i = 0; i < messages.Count; i++)
        {
            var leaseId = (receipt with { Part = i + 1 }).ToString();
            _shared[leaseId] = shared;
            leases.Add(new MessageLease(messages[i], queue, leaseId, dequeueCount));
        }

        return leases;
    }

    /// <summary>
    /// The leases to hand to the workers: each once, or twice under <see cref="DurableStorageOptions.DuplicateDelivery"/>
    /// (the second settlement of a lease finds the message gone and does nothing).
    /// </summary>
    private IEnumerable<MessageLease> Deliveries(List<MessageLease> leases) =>
        _hub.Options.DuplicateDelivery ? leases.SelectMany(lease => new[] { lease, lease }) : leases;

    /// <summary>
    /// Leases handed over before their envelope was stored, under a placeholder id (<c>~{n}\n{part}</c>) that
    /// resolves to the envelope's receipt once stored; shared envelopes are tracked under the placeholder ids.
    /// </summary>
    private List<MessageLease> HandOver(DispatchQueue queue, IReadOnlyList<TaskMessage> messages, Task<Receipt> stored)
    {
        var key = "~" + Interlocked.Increment(ref _handOverSequence).ToString(CultureInfo.InvariantCulture);
        var shared = messages.Count == 1 ? null : new SharedEnvelope(messages.Count);
        var leases = new List<MessageLease>(messages.Count);
        for (var i = 0; i < messages.Count; i++)
        {
            var leaseId = $"{key}\n{(shared is null ? 0 : i + 1)}";
            _handedOver[leaseId] = stored;
            if (shared is not null)
            {
                _shared[leaseId] = shared;
            }

            leases.Add(new MessageLease(messages[i], queue, leaseId, 1));
        }

        return leases;
    }

    /// <summary>Where the leased message is stored; null for a handed-over one whose store failed (nothing to settle).</summary>
    private async Task<Receipt?> ReceiptOfAsync(MessageLease lease)
    {
        if (!lease.LeaseId.StartsWith('~'))
        {
            return Receipt.Parse(lease.LeaseId);
        }

        if (!_handedOver.TryRemove(lease.LeaseId, out var stored))
        {
            return null;
        }

        try
        {
            var part = int.Parse(lease.LeaseId.AsSpan(lease.LeaseId.IndexOf('\n', StringComparison.Ordinal) + 1), CultureInfo.InvariantCulture);
            return (await stored.ConfigureAwait(false)) with { Part = part };
        }
#pragma warning disable CA1031 // The sender got the failure; a message never stored has nothing to delete.
        catch (Exception)
#pragma warning restore CA1031
        {
            _shared.TryRemove(lease.LeaseId, out _);
            return null;
        }
    }

    private async Task SettleAsync(MessageLease lease, Receipt receipt, bool abandoned, CancellationToken cancellationToken)
    {
        if (receipt.Part > 0)
        {
            if (!_shared.TryRemove(lease.LeaseId, out var shared))
            {
                return;
            }

            // Only the last part settles the queue message.
            if (shared.Settle(abandoned) is not { } anyAbandoned)
            {
                return;
            }

            abandoned = anyAbandoned;
        }

        var deleted = _heldMessages.TryRemove(HeldKey(lease.Queue, receipt), out var held)
            ? await held.SerializeAsync(() =>
            {
                // After this, renewals of any of its leases find it gone.
                held.IsGone = true;
                return SettleQueueMessageAsync(lease.Queue, receipt with { PopReceipt = held.PopReceipt }, abandoned, cancellationToken);
            }).ConfigureAwait(false)
            : await SettleQueueMessageAsync(lease.Queue, receipt, abandoned, cancellationToken).ConfigureAwait(false);
        if (deleted)
        {
            await _hub.DeletePayloadAsync(receipt.BlobName).ConfigureAwait(false);
        }
    }

    /// <summary>Deletes the queue message or makes it visible again; true when it was deleted.</summary>
    private async Task<bool> SettleQueueMessageAsync(DispatchQueue queueKind, Receipt receipt, bool abandoned, CancellationToken cancellationToken)
    {
        var queue = QueueOf(queueKind, receipt.QueueIndex);
        try
        {
            if (abandoned)
            {
                await queue.UpdateMessageAsync(receipt.MessageId, receipt.PopReceipt, visibilityTimeout: TimeSpan.Zero, cancellationToken: cancellationToken).ConfigureAwait(false);
                return false;
            }

            await queue.DeleteMessageAsync(receipt.MessageId, receipt.PopReceipt, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 400)
        {
            // The lease expired and someone else received (or already deleted) the message: nothing to do.
            return false;
        }
    }

    /// <summary>Registry key of a queue message as received (or stored held): its receipt then, without the part.</summary>
    private static string HeldKey(DispatchQueue queue, Receipt receipt) => $"{queue}\n{receipt with { Part = 0 }}";

    /// <summary>Registers a queue message this process now holds, hidden for <paramref name="hiddenFor"/>.</summary>
    private void Hold(DispatchQueue queue, Receipt receipt, TimeSpan hiddenFor)
    {
        var now = _timeProvider.GetUtcNow();
        _heldMessages[HeldKey(queue, receipt)] = new HeldMessage(receipt.PopReceipt, now + hiddenFor);

        // Entries of leases nobody settled (a worker that stopped, a lost result) are dropped once long expired; a late
        // settlement then uses the original receipt, which at worst fails and lets the message come back.
        var timestamp = _timeProvider.GetTimestamp();
        var due = Interlocked.Read(ref _nextPruneTimestamp);
        if (timestamp < due || Interlocked.CompareExchange(ref _nextPruneTimestamp, timestamp + (PruneInterval.Ticks * _timeProvider.TimestampFrequency / TimeSpan.TicksPerSecond), due) != due)
        {
            return;
        }

        foreach (var (key, stale) in _heldMessages)
        {
            if (stale.HiddenUntil < now - PruneInterval)
            {
                _heldMessages.TryRemove(key, out _);
            }
        }
    }

    /// <summary>
    /// Hands a buffered lease out only while it is safely held: one that waited longer than half
    /// <paramref name="visibilityTimeout"/> is renewed first, and dropped (abandoned) when that fails.
    /// </summary>
    private async Task<bool> IsLiveAsync(Buffered buffered, TimeSpan visibilityTimeout, CancellationToken cancellationToken)
    {
        if (_timeProvider.GetElapsedTime(buffered.Timestamp) < visibilityTimeout / 2)
        {
            return true;
        }

        try
        {
            if (await RenewAsync(buffered.Lease, visibilityTimeout, cancellationToken).ConfigureAwait(false))
            {
                return true;
            }
        }
#pragma warning disable CA1031 // Dropped like a lost lease: the message comes back, at the latest when its lease expires.
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
#pragma warning restore CA1031
        {
        }

        // Settles the part for its envelope mates (so their queue message comes back instead of waiting for this
        // part forever); on a lost queue message it finds nothing to update.
        try
        {
            await AbandonAsync(buffered.Lease, CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Unsettled, the queue message still reappears when its lease expires.
        catch (Exception)
#pragma warning restore CA1031
        {
        }

        return false;
    }

    /// <summary>
    /// One fetch loop per logical queue: up to <see cref="DurableStorageOptions.ReceiveBatchSize"/> queue messages
    /// per call into the local buffer, partitions this process just sent to first, then round robin, and an idle
    /// backoff that a local send cuts short. One loop instead of one poll per consumer: otherwise idle consumers
    /// queue up behind each other's empty polls and add their latency to every message.
    /// </summary>
    private async Task PumpAsync(Receiver receiver, CancellationToken cancellationToken)
    {
        var backoff = MinPollingInterval;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await _hub.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
                var room = _hub.Options.ReceiveBatchSize - receiver.Buffer.Reader.Count;
                if (room <= 0)
                {
                    // Enough work buffered: fetching more would only start leases nobody works on yet.
                    await Task.Delay(MinPollingInterval, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                var wake = receiver.WakeSignal;
                var received = 0;
                for (var i = 0; i < receiver.Queues.Length && received == 0; i++)
                {
                    if (!receiver.Hints.TryDequeue(out var index))
                    {
                        index = receiver.NextQueue;
                        receiver.NextQueue = (index + 1) % receiver.Queues.Length;
                    }

                    var messages = (await receiver.Queues[index].ReceiveMessagesAsync(room, receiver.VisibilityTimeout, cancellationToken).ConfigureAwait(false)).Value;
                    foreach (var message in messages)
                    {
                        received++;
                        foreach (var lease in Deliveries(await TryLeaseAsync(receiver, index, message, cancellationToken).ConfigureAwait(false)))
                        {
                            await receiver.Buffer.Writer.WriteAsync(new Buffered(lease, _timeProvider.GetTimestamp()), cancellationToken).ConfigureAwait(false);
                        }
                    }
                }

                if (received > 0)
                {
                    backoff = MinPollingInterval;
                    continue;
                }

                await Task.WhenAny(wake, Task.Delay(backoff, _timeProvider, cancellationToken)).ConfigureAwait(false);
                backoff = wake.IsCompleted ? MinPollingInterval : TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _hub.Options.MaxPollingInterval.Ticks));
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // The pump must survive a failing poll (service restart, stalled request); it retries after a pause.
            catch (Exception)
#pragma warning restore CA1031
            {
                await Task.Delay(_hub.Options.MaxPollingInterval, CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Leases for a well-formed envelope; an unreadable one goes straight to the poison store with its raw body.</summary>
    private async Task<List<MessageLease>> TryLeaseAsync(Receiver receiver, int index, QueueMessage received, CancellationToken cancellationToken)
    {
        try
        {
            var envelope = JsonSerializer.Deserialize<Envelope>(received.Body.ToString(), DurableJson.Options);
            var content = envelope;
            if (envelope?.Blob is { } blobName)
            {
                var blob = await _hub.Payloads.GetBlobClient(blobName).DownloadContentAsync(cancellationToken).ConfigureAwait(false);
                content = JsonSerializer.Deserialize<Envelope>(blob.Value.Content.ToString(), DurableJson.Options);
            }

            IReadOnlyList<TaskMessage> messages = content?.Messages ?? (content?.Message is { } single ? [single] : []);
            if (messages.Count == 0)
            {
                throw new InvalidOperationException("the queue message carries no task message");
            }

            return Lease(receiver.Queue, new Receipt(index, received.MessageId, received.PopReceipt, envelope!.Blob, 0), messages, (int)received.DequeueCount, receiver.VisibilityTimeout);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or NotSupportedException)
        {
            var queue = receiver.Queues[index];
            var name = $"unreadable/{queue.Name}/{received.MessageId}.json";
            var record = new { reason = $"unreadable message: {ex.Message}", queue = queue.Name, body = received.Body.ToString() };
            await _hub.Poison.GetBlobClient(name).UploadAsync(BinaryData.FromObjectAsJson(record), overwrite: true, cancellationToken).ConfigureAwait(false);
            await queue.DeleteMessageAsync(received.MessageId, received.PopReceipt, cancellationToken).ConfigureAwait(false);
            return [];
        }
    }

    /// <summary>The body of a queue message: one task message, several, or a blob holding either.</summary>
    private sealed record Envelope(
        [property: JsonPropertyName("m")] TaskMessage? Message,
        [property: JsonPropertyName("ms")] List<TaskMessage>? Messages,
        [property: JsonPropertyName("b")] string? Blob);

    /// <summary>What the poison store keeps for each poisoned message.</summary>
    private sealed record PoisonRecord(DispatchQueue Queue, string QueueName, string QueueMessageId, int DequeueCount, string Reason, DateTimeOffset PoisonedAt, TaskMessage Message);

    /// <summary>A send waiting for its envelope; <paramref name="HeldFor"/> set: stored held by this process, its lease the result.</summary>
    private sealed record PendingSend(TaskMessage Message, string Json, TimeSpan? HeldFor = null)
    {
        public TaskCompletionSource<MessageLease?> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Where a leased task message lives: queue, queue message, pop receipt, blob, and its part of the envelope (0: alone).</summary>
    private sealed record Receipt(int QueueIndex, string MessageId, string PopReceipt, string? BlobName, int Part)
    {
        public static Receipt Parse(string leaseId)
        {
            var parts = leaseId.Split('\n');
            return new Receipt(
                int.Parse(parts[0], CultureInfo.InvariantCulture), parts[1], parts[2], parts[3].Length == 0 ? null : parts[3], int.Parse(parts[4], CultureInfo.InvariantCulture));
        }

        public override string ToString() => string.Join(
            '\n', QueueIndex.ToString(CultureInfo.InvariantCulture), MessageId, PopReceipt, BlobName ?? string.Empty, Part.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>A lease waiting in the local buffer since <paramref name="Timestamp"/> (<see cref="TimeProvider.GetTimestamp"/>).</summary>
    private readonly record struct Buffered(MessageLease Lease, long Timestamp);

    /// <summary>
    /// A queue message this process holds: its current pop receipt (renewals change it) and until when it is hidden.
    /// Renewals and the settlement run one after another, so a settlement never uses a receipt a renewal replaced.
    /// </summary>
    private sealed class HeldMessage(string popReceipt, DateTimeOffset hiddenUntil)
    {
        private readonly Lock _gate = new();
        private Task _tail = Task.CompletedTask;

        public string PopReceipt { get; set; } = popReceipt;

        public DateTimeOffset HiddenUntil { get; set; } = hiddenUntil;

        /// <summary>Settled, or lost to another receiver: nothing left to renew.</summary>
        public bool IsGone { get; set; }

        public Task<T> SerializeAsync<T>(Func<Task<T>> operation)
        {
            lock (_gate)
            {
                var next = AfterAsync(_tail, operation);
                _tail = next;
                return next;
            }
        }

        private static async Task<T> AfterAsync<T>(Task previous, Func<Task<T>> operation)
        {
            await previous.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            return await operation().ConfigureAwait(false);
        }
    }

    /// <summary>Settlement of the task messages of one envelope.</summary>
    private sealed class SharedEnvelope(int parts)
    {
        private int _remaining = parts;
        private int _abandoned;

        /// <summary>Settles one part; returns whether any part was abandoned once the last part is settled, else null.</summary>
        public bool? Settle(bool abandoned)
        {
            if (abandoned)
            {
                Interlocked.Exchange(ref _abandoned, 1);
            }

            return Interlocked.Decrement(ref _remaining) == 0 ? Volatile.Read(ref _abandoned) == 1 : null;
        }
    }

    /// <summary>
    /// Group commit of sends to one queue: the first sender stores an envelope; senders arriving meanwhile wait
    /// and go together in the next one. No added latency when sends do not overlap.
    /// </summary>
    private sealed class SendGroup(StorageQueueDispatcher owner, DispatchQueue queue, int partition)
    {
        private readonly Lock _gate = new();
        private readonly List<PendingSend> _waiting = [];
        private bool _sending;

        public Task<MessageLease?> SendAsync(PendingSend pending)
        {
            bool lead;
            lock (_gate)
            {
                _waiting.Add(pending);
                lead = !_sending;
                _sending = true;
            }

            if (lead)
            {
                _ = FlushAsync();
            }

            return pending.Done.Task;
        }

        private async Task FlushAsync()
        {
            var limit = owner._hub.Options.MaxInlineMessageBytes - 16;
            while (true)
            {
                var batch = new List<PendingSend>();
                lock (_gate)
                {
                    var size = 0;
                    foreach (var next in _waiting)
                    {
                        var length = Encoding.UTF8.GetByteCount(next.Json) + 1;
                        if (batch.Count == owner._hub.Options.ReceiveBatchSize || (batch.Count > 0 && (size + length > limit || next.HeldFor != batch[0].HeldFor)))
                        {
                            break;
                        }

                        batch.Add(next);
                        size += length;
                    }

                    _waiting.RemoveRange(0, batch.Count);
                    if (batch.Count == 0)
                    {
                        _sending = false;
                        return;
                    }
                }

                try
                {
                    if (batch[0].HeldFor is { } heldFor)
                    {
                        var leases = await owner.SendHeldEnvelopeAsync(queue, partition, batch, heldFor, owner._stopping.Token).ConfigureAwait(false);
                        for (var i = 0; i < batch.Count; i++)
                        {
                            batch[i].Done.TrySetResult(leases[i]);
                        }
                    }
                    else
                    {
                        await owner.SendEnvelopeAsync(queue, partition, batch, null, owner._stopping.Token).ConfigureAwait(false);
                        batch.ForEach(p => p.Done.TrySetResult(null));
                    }
                }
#pragma warning disable CA1031 // The failure belongs to the waiting senders, who rethrow it; the loop goes on for the others.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    batch.ForEach(p => p.Done.TrySetException(ex));
                }
            }
        }
    }

    private sealed class Receiver(DispatchQueue queue, QueueClient[] queues)
    {
        private readonly Lock _gate = new();
        private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public DispatchQueue Queue { get; } = queue;

        public QueueClient[] Queues { get; } = queues;

        // Unbounded so a hand-over never fails; CanDeliverLocally and the pump's room check keep it small.
        public Channel<Buffered> Buffer { get; } = Channel.CreateUnbounded<Buffered>();

        public ConcurrentQueue<int> Hints { get; } = new();

        public int NextQueue { get; set; }

        public TimeSpan VisibilityTimeout { get; private set; }

        public Task? Pump { get; private set; }

        public Task WakeSignal => Volatile.Read(ref _wake).Task;

        /// <summary>True when this process consumes the queue and its local buffer has room for <paramref name="count"/> more.</summary>
        public bool CanDeliverLocally(int count) => Pump is { IsCompleted: false } && Buffer.Reader.Count + count <= LocalBufferCapacity;

        public void Wake(int partition)
        {
            if (Hints.Count < Queues.Length * 4)
            {
                Hints.Enqueue(partition);
            }

            Interlocked.Exchange(ref _wake, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }

        public void EnsurePumping(StorageQueueDispatcher owner, TimeSpan visibilityTimeout)
        {
            VisibilityTimeout = visibilityTimeout;
            if (Pump is not null)
            {
                return;
            }

            lock (_gate)
            {
                Pump ??= Task.Run(() => owner.PumpAsync(this, owner._stopping.Token));
            }
        }
    }
}
