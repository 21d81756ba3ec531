using EcosystemFlows.Durable.Ports;

namespace EcosystemFlows.Durable.InMemory;

/// <summary>
/// In-memory <see cref="IMessageDispatcher"/> with the semantics of a cloud queue: unordered competing
/// consumers, leases that expire by the <see cref="TimeProvider"/>, delayed visibility, dequeue counts,
/// a poison store and, for tests, duplicate delivery of every message.
/// </summary>
public sealed class InMemoryDispatcher : IMessageDispatcher
{
    private static readonly TimeSpan LongPoll = TimeSpan.FromMilliseconds(50);
    private readonly TimeProvider _timeProvider;
    private readonly Lock _gate = new();
    private readonly List<Entry> _entries = [];
    private readonly List<PoisonMessage> _poison = [];
    private TaskCompletionSource _changed = NewSignal();
    private long _sequence;
    private int _renewals;
    private int _redeliveries;

    /// <summary>Creates the dispatcher on <paramref name="timeProvider"/>'s clock.</summary>
    public InMemoryDispatcher(TimeProvider timeProvider)
    {
        _timeProvider = timeProvider;
    }

    /// <summary>When true, every sent message is enqueued twice (at-least-once delivery at its worst).</summary>
    public bool DeliverEveryMessageTwice { get; set; }

    /// <inheritdoc />
    public TimeSpan? MaximumDelay { get; set; }

    /// <summary>Successful lease renewals so far (tests watch the worker keep its leases).</summary>
    public int Renewals
    {
        get
        {
            lock (_gate)
            {
                return _renewals;
            }
        }
    }

    /// <summary>Receives of a message received before (its lease expired or was abandoned).</summary>
    public int Redeliveries
    {
        get
        {
            lock (_gate)
            {
                return _redeliveries;
            }
        }
    }

    /// <summary>Messages moved to the poison store, with reasons.</summary>
    public IReadOnlyList<PoisonMessage> PoisonMessages
    {
        get
        {
            lock (_gate)
            {
                return [.. _poison];
            }
        }
    }

    /// <inheritdoc />
    public Task SendAsync(DispatchQueue queue, TaskMessage message, DateTimeOffset? visibleAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        lock (_gate)
        {
            var copies = DeliverEveryMessageTwice ? 2 : 1;
            for (var i = 0; i < copies; i++)
            {
                _entries.Add(new Entry(queue, message, _sequence++) { VisibleAt = visibleAt ?? DateTimeOffset.MinValue });
            }
        }

        Signal();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<MessageLease> SendLeasedAsync(DispatchQueue queue, TaskMessage message, TimeSpan visibilityTimeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        lock (_gate)
        {
            // Held by the sender: one copy even under duplicate delivery, as a received message is one lease.
            var entry = new Entry(queue, message, _sequence++)
            {
                LeaseId = Guid.NewGuid().ToString("N"),
                DequeueCount = 1,
                VisibleAt = _timeProvider.GetUtcNow() + visibilityTimeout,
            };
            _entries.Add(entry);
            return Task.FromResult(new MessageLease(message, queue, entry.LeaseId, entry.DequeueCount));
        }
    }

    /// <inheritdoc />
    public async Task<MessageLease?> ReceiveAsync(DispatchQueue queue, TimeSpan visibilityTimeout, CancellationToken cancellationToken)
    {
        var deadline = Environment.TickCount64 + (long)LongPoll.TotalMilliseconds;
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                var now = _timeProvider.GetUtcNow();
                var entry = _entries.Where(e => e.Queue == queue && e.VisibleAt <= now).MinBy(e => e.Sequence);
                if (entry is not null)
                {
                    entry.LeaseId = Guid.NewGuid().ToString("N");
                    entry.DequeueCount++;
                    if (entry.DequeueCount > 1)
                    {
                        _redeliveries++;
                    }

                    entry.VisibleAt = now + visibilityTimeout;
                    return new MessageLease(entry.Message, queue, entry.LeaseId, entry.DequeueCount);
                }

                changed = _changed.Task;
            }

            var remaining = deadline - Environment.TickCount64;
            if (remaining <= 0)
            {
                return null;
            }

            // Real time on purpose: waiting for work must not depend on a fake clock moving.
            await Task.WhenAny(changed, Task.Delay(TimeSpan.FromMilliseconds(remaining), cancellationToken)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <inheritdoc />
    public Task<bool> RenewAsync(MessageLease lease, TimeSpan visibilityTimeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        lock (_gate)
        {
            // A receive gives the entry a new lease id, so a lease that expired and was received again is lost here too.
            var entry = _entries.Find(e => e.LeaseId == lease.LeaseId);
            if (entry is null)
            {
                return Task.FromResult(false);
            }

            entry.VisibleAt = _timeProvider.GetUtcNow() + visibilityTimeout;
            _renewals++;
            return Task.FromResult(true);
        }
    }

    /// <inheritdoc />
    public Task CompleteAsync(MessageLease lease, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        lock (_gate)
        {
            _entries.RemoveAll(e => e.LeaseId == lease.LeaseId);
        }

        Signal();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task AbandonAsync(MessageLease lease, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        lock (_gate)
        {
            foreach (var entry in _entries.Where(e => e.LeaseId == lease.LeaseId))
            {
                entry.LeaseId = null;
                entry.VisibleAt = DateTimeOffset.MinValue;
            }
        }

        Signal();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task PoisonAsync(MessageLease lease, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        lock (_gate)
        {
            if (_entries.RemoveAll(e => e.LeaseId == lease.LeaseId) > 0)
            {
                _poison.Add(new PoisonMessage(lease.Queue, lease.Message, reason));
            }
        }

        Signal();
        return Task.CompletedTask;
    }

    /// <summary>True when no message is visible now and none is leased: only future (timer) messages remain.</summary>
    public bool IsIdle
    {
        get
        {
            lock (_gate)
            {
                var now = _timeProvider.GetUtcNow();
                return _entries.All(e => e.LeaseId is null && e.VisibleAt > now);
            }
        }
    }

    /// <summary>The earliest time a waiting (delayed) message becomes visible, or null if there is none.</summary>
    public DateTimeOffset? NextVisibleAt
    {
        get
        {
            lock (_gate)
            {
                return _entries.Where(e => e.LeaseId is null).Select(e => (DateTimeOffset?)e.VisibleAt).Min();
            }
        }
    }

    /// <summary>Wakes receivers, e.g. after the clock moved.</summary>
    public void Signal()
    {
        TaskCompletionSource previous;
        lock (_gate)
        {
            previous = _changed;
            _changed = NewSignal();
        }

        previous.TrySetResult();
    }

    /// <summary>Waits (real time) until <see cref="IsIdle"/>.</summary>
    /// <exception cref="TimeoutException">Not idle within <paramref name="timeout"/>.</exception>
    public async Task WaitForIdleAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (!IsIdle)
        {
            if (Environment.TickCount64 > deadline)
            {
                throw new TimeoutException($"The in-memory task hub did not become idle within {timeout}.");
            }

            await Task.Delay(1, cancellationToken).ConfigureAwait(false);
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed class Entry(DispatchQueue queue, TaskMessage message, long sequence)
    {
        public DispatchQueue Queue { get; } = queue;

        public TaskMessage Message { get; } = message;

        public long Sequence { get; } = sequence;

        public DateTimeOffset VisibleAt { get; set; }

        public string? LeaseId { get; set; }

        public int DequeueCount { get; set; }
    }
}

/// <summary>A message moved to the poison store.</summary>
/// <param name="Queue">Queue it came from.</param>
/// <param name="Message">The message.</param>
/// <param name="Reason">Why it was poisoned.</param>
public sealed record PoisonMessage(DispatchQueue Queue, TaskMessage Message, string Reason);
