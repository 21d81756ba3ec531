using System.Collections.Concurrent;
using Amqp;
using Amqp.Types;
using EcosystemFlows.ServiceBusEmulator.Configuration;
using Microsoft.Extensions.Logging;

namespace EcosystemFlows.ServiceBusEmulator.Messaging;

/// <summary>
/// The emulated namespace. All state lives on one thread: the AMQP layer posts work items, the thread runs a batch
/// of them in one SQLite transaction, delivers to consumers with credit, commits, and only then runs what clients
/// see (settlement replies, deliveries). So a client is never told of anything that a kill -9 could take back, and
/// the commit cost is shared by everything that arrived meanwhile (group commit).
/// </summary>
internal sealed partial class Broker : IDisposable
{
    public const string DeadLetterSuffix = "/$deadletterqueue";
    private const string NextSequenceKey = "next-sequence";

    private readonly Store store;
    private readonly TimeProvider clock;
    private readonly ILogger logger;
    private readonly Dictionary<string, SendTarget> targets = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, MessageQueue> queues = new(StringComparer.OrdinalIgnoreCase);
    private readonly BlockingCollection<Action<Turn>> inbox = [];
    private readonly HashSet<MessageQueue> dirty = [];
    private readonly Thread thread;
    private long nextSequence;
    private long lastSweepTicks;
    private long lastDuplicateSweepTicks;

    public Broker(EmulatorConfig config, Store store, TimeProvider clock, ILogger logger)
    {
        this.store = store;
        this.clock = clock;
        this.logger = logger;
        foreach (var ns in config.UserConfig.Namespaces)
        {
            foreach (var q in ns.Queues)
            {
                var queue = AddQueue(q.Name, QueueSettings.From(q.Properties), q.Properties.RequiresSession);
                targets[q.Name] = new SendTarget(q.Name.ToLowerInvariant(), q.Properties.RequiresDuplicateDetection, q.Properties.DuplicateWindowValue) { Queue = queue };
            }

            foreach (var t in ns.Topics)
            {
                var topic = new SendTarget(t.Name.ToLowerInvariant(), t.Properties.RequiresDuplicateDetection, t.Properties.DuplicateWindowValue);
                foreach (var s in t.Subscriptions)
                {
                    var queue = AddQueue($"{t.Name}/subscriptions/{s.Name}", QueueSettings.From(s.Properties), s.Properties.RequiresSession);
                    var rules = s.Rules.Count == 0 ? [SqlFilter.Parse("1=1")] : s.Rules.Select(Filter.From).ToArray();
                    topic.Subscriptions.Add((queue, rules));
                }

                targets[t.Name] = topic;
            }
        }

        Load();
        thread = new Thread(Run) { IsBackground = true, Name = "broker" };
    }

    /// <summary>Entities that require sessions (refused: see the README).</summary>
    public HashSet<string> SessionEntities { get; } = new(StringComparer.OrdinalIgnoreCase);

    public int MessageCount => queues.Values.Sum(q => q.Messages.Count);

    public void Start() => thread.Start();

    public bool TryGetQueue(string path, out MessageQueue queue) => queues.TryGetValue(path, out queue!);

    public bool TryGetTarget(string path, out SendTarget target) => targets.TryGetValue(path, out target!);

    /// <summary>Runs <paramref name="work"/> on the broker thread in the next turn.</summary>
    public void Post(Action<Turn> work)
    {
        try
        {
            inbox.Add(work);
        }
        catch (InvalidOperationException)
        {
            // Shutting down: the client sees its link close.
        }
    }

    public void Dispose()
    {
        inbox.CompleteAdding();
        if (thread.IsAlive)
        {
            thread.Join(TimeSpan.FromSeconds(10));
        }

        inbox.Dispose();
    }

    private MessageQueue AddQueue(string path, QueueSettings settings, bool requiresSession)
    {
        var lower = path.ToLowerInvariant();
        var dlq = new MessageQueue(lower + DeadLetterSuffix, settings, isDeadLetter: true) { SourceName = path };
        var queue = new MessageQueue(lower, settings, isDeadLetter: false) { DeadLetterQueue = dlq, SourceName = path };
        queues[lower] = queue;
        queues[dlq.Path] = dlq;
        if (requiresSession)
        {
            SessionEntities.Add(lower);
        }

        return queue;
    }

    private void Load()
    {
        nextSequence = Math.Max(1, store.ReadMeta(NextSequenceKey));
        var count = 0;
        foreach (var m in store.ReadMessages())
        {
            nextSequence = Math.Max(nextSequence, m.Sequence + 1);
            if (!queues.TryGetValue(m.Entity, out var queue))
            {
                LogOrphan(logger, m.Sequence, m.Entity);
                continue;
            }

            Add(queue, m);
            count++;
        }

        var now = Now;
        foreach (var (entity, id, expires) in store.ReadDuplicates())
        {
            if (expires > now && targets.TryGetValue(entity, out var target))
            {
                target.Duplicates[id] = expires;
                target.DuplicateOrder.Enqueue((expires, id));
            }
        }

        LogLoaded(logger, count, nextSequence);
    }

    private long Now => clock.GetUtcNow().UtcTicks;

    private static void Add(MessageQueue queue, StoredMessage m)
    {
        queue.Messages[m.Sequence] = m;
        switch (m.State)
        {
            case MessageState.Active:
                queue.Available.Add(m.Sequence);
                break;
            case MessageState.Scheduled:
                queue.Scheduled.Add((m.ScheduledTicks, m.Sequence));
                break;
        }

        if (m.ExpiresTicks != long.MaxValue && m.State != MessageState.Scheduled)
        {
            queue.Expiring.Add((m.ExpiresTicks, m.Sequence));
        }
    }

    private static void Remove(MessageQueue queue, StoredMessage m)
    {
        queue.Messages.Remove(m.Sequence);
        queue.Available.Remove(m.Sequence);
        queue.Scheduled.Remove((m.ScheduledTicks, m.Sequence));
        queue.Expiring.Remove((m.ExpiresTicks, m.Sequence));
        if (m.LockToken != Guid.Empty)
        {
            queue.Locks.Remove(m.LockToken);
            m.LockToken = Guid.Empty;
            m.LockedBy = null;
        }
    }

    private void Run()
    {
        var batch = new List<Action<Turn>>();
        while (!inbox.IsCompleted)
        {
            batch.Clear();
            if (inbox.TryTake(out var first, TimeSpan.FromMilliseconds(50)))
            {
                batch.Add(first);
                while (batch.Count < 2000 && inbox.TryTake(out var more))
                {
                    batch.Add(more);
                }
            }

            var turn = new Turn(this);
            store.Begin();
            foreach (var work in batch)
            {
                try
                {
                    work(turn);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    LogWorkFailed(logger, ex);
                }
            }

            var now = Now;
            if (now - lastSweepTicks >= TimeSpan.TicksPerMillisecond * 100)
            {
                lastSweepTicks = now;
                Sweep(turn, now);
            }

            Pump(turn);
            if (turn.SequenceChanged)
            {
                store.SetMeta(NextSequenceKey, nextSequence);
            }

            store.Commit();
            foreach (var action in turn.After)
            {
                try
                {
                    action();
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    // A link that closed meanwhile: its locks simply expire.
                    LogAfterCommitFailed(logger, ex.Message);
                }
            }
        }
    }

    /// <summary>One transaction's worth of work, and what to do once it has committed.</summary>
    internal sealed class Turn(Broker broker)
    {
        public List<Action> After { get; } = [];

        public bool SequenceChanged { get; set; }

        public Broker Broker { get; } = broker;

        public long Now { get; } = broker.Now;
    }

    // ---- sending ----

    /// <summary>Stores messages sent to a queue or topic; false (nothing stored) when one is refused.</summary>
    public void Enqueue(Turn turn, SendTarget target, IReadOnlyList<Message> messages, bool scheduleOnly, List<long>? sequences)
    {
        foreach (var message in messages)
        {
            var messageId = message.Properties?.MessageId?.ToString();
            if (target.RequiresDuplicateDetection && messageId is not null && !scheduleOnly)
            {
                if (target.Duplicates.TryGetValue(messageId, out var until) && until > turn.Now)
                {
                    LogDuplicate(logger, messageId, target.Path);
                    continue;
                }

                var expires = turn.Now + target.DuplicateWindow.Ticks;
                target.Duplicates[messageId] = expires;
                target.DuplicateOrder.Enqueue((expires, messageId));
                store.RememberDuplicate(target.Path, messageId, expires);
            }

            if (target.Queue is { } queue)
            {
                var seq = Store(turn, queue, message, messageId, scheduleOnly);
                sequences?.Add(seq);
                continue;
            }

            var input = FilterInput.From(message);
            var first = 0L;
            foreach (var (subscription, rules) in target.Subscriptions)
            {
                if (rules.Any(rule => rule.Matches(input)))
                {
                    var seq = Store(turn, subscription, message, messageId, scheduleOnly);
                    first = first == 0 ? seq : first;
                }
            }

            // A scheduled message to a topic is known by one sequence number; cancelling it cancels every copy.
            sequences?.Add(first);
        }
    }

    private long Store(Turn turn, MessageQueue queue, Message message, string? messageId, bool forceSchedule)
    {
        var now = turn.Now;
        var ttl = queue.Settings.DefaultTimeToLive;
        if (message.Header is { Ttl: > 0 } header)
        {
            var requested = TimeSpan.FromMilliseconds(header.Ttl);
            ttl = ttl is null || requested < ttl ? requested : ttl;
        }

        var scheduled = message.MessageAnnotations?[(Symbol)"x-opt-scheduled-enqueue-time"] is DateTime at ? at.ToUniversalTime().Ticks : 0;
        var isScheduled = scheduled > now || (forceSchedule && scheduled > 0);
        var activeFrom = isScheduled ? scheduled : now;
        var m = new StoredMessage
        {
            Sequence = nextSequence++,
            Entity = queue.Path,
            State = isScheduled ? MessageState.Scheduled : MessageState.Active,
            EnqueuedTicks = activeFrom,
            ScheduledTicks = isScheduled ? scheduled : 0,
            ExpiresTicks = ttl is { } t && t.Ticks < long.MaxValue - activeFrom ? activeFrom + t.Ticks : long.MaxValue,
            MessageId = messageId,
            Body = message.Encode().ToArray(),
        };
        turn.SequenceChanged = true;
        store.Insert(m);
        Add(queue, m);
        dirty.Add(queue);
        return m.Sequence;
    }

    public bool CancelScheduled(Turn turn, SendTarget target, long sequence)
    {
        var found = false;
        var candidates = target.Queue is { } q ? [q] : target.Subscriptions.Select(s => s.Queue).ToList();
        foreach (var queue in candidates)
        {
            // Topic copies were stored in subscription order with consecutive sequence numbers.
            foreach (var m in queue.Messages.Values.Where(m => m.State == MessageState.Scheduled
                && (m.Sequence == sequence || (target.Queue is null && m.Sequence > sequence && m.Sequence < sequence + target.Subscriptions.Count))).ToList())
            {
                Remove(queue, m);
                store.Delete(m.Sequence);
                found = true;
            }
        }

        _ = turn;
        return found;
    }

    // ---- receiving ----

    public void AddConsumer(MessageQueue queue, IConsumer consumer)
    {
        queue.Consumers.Add(consumer);
        dirty.Add(queue);
    }

    public void RemoveConsumer(MessageQueue queue, IConsumer consumer) => queue.Consumers.Remove(consumer);

    public void Flow(MessageQueue queue, IConsumer consumer, int delta, bool drain)
    {
        consumer.Credit = delta > 0 ? consumer.Credit + delta : 0;
        if (drain || delta > 0)
        {
            dirty.Add(queue);
        }
    }

    private void Pump(Turn turn)
    {
        foreach (var queue in dirty)
        {
            PumpQueue(turn, queue);
        }

        dirty.Clear();
    }

    private void PumpQueue(Turn turn, MessageQueue queue)
    {
        queue.Consumers.RemoveAll(c => c.IsClosed);
        while (queue.Available.Count > 0 && queue.Consumers.Count > 0)
        {
            IConsumer? consumer = null;
            for (var i = 0; i < queue.Consumers.Count; i++)
            {
                var candidate = queue.Consumers[(queue.NextConsumer + i) % queue.Consumers.Count];
                if (candidate.Credit > 0)
                {
                    consumer = candidate;
                    queue.NextConsumer = (queue.NextConsumer + i + 1) % queue.Consumers.Count;
                    break;
                }
            }

            if (consumer is null)
            {
                break;
            }

            var m = queue.Messages[queue.Available.Min];
            queue.Available.Remove(m.Sequence);
            if (m.ExpiresTicks <= turn.Now && !queue.IsDeadLetter)
            {
                Expire(turn, queue, m);
                continue;
            }

            consumer.Credit--;
            if (consumer.ReceiveAndDelete)
            {
                Remove(queue, m);
                store.Delete(m.Sequence);
                var wire = Codec.ToAmqp(m, lockedUntilTicks: 0);
                turn.After.Add(() => consumer.Deliver(wire, Guid.Empty));
            }
            else
            {
                var token = Lock(turn, queue, m, consumer);
                var wire = Codec.ToAmqp(m, m.LockedUntilTicks);
                turn.After.Add(() => consumer.Deliver(wire, token));
            }
        }

        foreach (var consumer in queue.Consumers)
        {
            if (consumer.IsDraining)
            {
                consumer.Credit = 0;
                turn.After.Add(consumer.CompleteDrain);
            }
        }
    }

    private Guid Lock(Turn turn, MessageQueue queue, StoredMessage m, object owner)
    {
        var token = Guid.NewGuid();
        m.LockToken = token;
        m.LockedBy = owner;
        m.LockedUntilTicks = turn.Now + queue.Settings.LockDuration.Ticks;
        m.DeliveryCount++;
        store.UpdateDeliveryCount(m);
        queue.Locks[token] = m;
        return token;
    }

    /// <summary>Messages handed out through $management (deferred ones) are settled through it too.</summary>
    public static readonly object ManagementOwner = new();

    public List<(Message Message, Guid LockToken)>? ReceiveDeferred(Turn turn, MessageQueue queue, long[] sequences, bool peekLock)
    {
        var found = new List<StoredMessage>();
        foreach (var seq in sequences)
        {
            if (!queue.Messages.TryGetValue(seq, out var m) || m.State != MessageState.Deferred || m.LockToken != Guid.Empty)
            {
                return null;
            }

            found.Add(m);
        }

        var result = new List<(Message, Guid)>();
        foreach (var m in found)
        {
            if (peekLock)
            {
                var token = Lock(turn, queue, m, ManagementOwner);
                result.Add((Codec.ToAmqp(m, m.LockedUntilTicks), token));
            }
            else
            {
                Remove(queue, m);
                store.Delete(m.Sequence);
                result.Add((Codec.ToAmqp(m, 0), Guid.Empty));
            }
        }

        return result;
    }

    public List<Message> Peek(MessageQueue queue, long fromSequence, int count) =>
        queue.Messages.Values.Where(m => m.Sequence >= fromSequence).Take(count)
            .Select(m => Codec.ToAmqp(m, m.LockToken == Guid.Empty ? 0 : m.LockedUntilTicks)).ToList();

    // ---- settling ----

    public enum Disposition
    {
        Complete,
        Abandon,
        Defer,
        DeadLetter,

        /// <summary>
        /// AMQP <c>released</c> from the client: it did not hand the message to the application (the SDK releases
        /// what arrives while no receive call waits). Service Bus unlocks it at once and does not count the delivery.
        /// </summary>
        Release,
    }

    /// <summary>Settles a locked message; false when the lock is unknown or expired (lock lost).</summary>
    public bool Settle(Turn turn, MessageQueue queue, Guid token, object? owner, Disposition disposition,
        string? reason = null, string? description = null, IDictionary<string, object?>? properties = null)
    {
        if (!queue.Locks.TryGetValue(token, out var m) || (owner is not null && !ReferenceEquals(m.LockedBy, owner)) || m.LockedUntilTicks <= turn.Now)
        {
            return false;
        }

        queue.Locks.Remove(token);
        m.LockToken = Guid.Empty;
        m.LockedBy = null;
        switch (disposition)
        {
            case Disposition.Complete:
                Remove(queue, m);
                store.Delete(m.Sequence);
                break;
            case Disposition.Abandon:
                Modify(m, properties);
                Release(turn, queue, m);
                break;
            case Disposition.Defer:
                Modify(m, properties);
                m.State = MessageState.Deferred;
                store.Update(m);
                break;
            case Disposition.DeadLetter:
                DeadLetter(queue, m, reason, description, properties);
                break;
            case Disposition.Release:
                m.DeliveryCount = Math.Max(0, m.DeliveryCount - 1);
                Release(turn, queue, m);
                break;
        }

        return true;
    }

    public DateTime? RenewLock(Turn turn, MessageQueue queue, Guid token)
    {
        if (!queue.Locks.TryGetValue(token, out var m) || m.LockedUntilTicks <= turn.Now)
        {
            return null;
        }

        m.LockedUntilTicks = turn.Now + queue.Settings.LockDuration.Ticks;
        return new DateTime(m.LockedUntilTicks, DateTimeKind.Utc);
    }

    /// <summary>A message whose lock ended without settlement: available again, or dead-lettered after MaxDeliveryCount.</summary>
    private void Release(Turn turn, MessageQueue queue, StoredMessage m)
    {
        if (!queue.IsDeadLetter && m.DeliveryCount >= queue.Settings.MaxDeliveryCount)
        {
            DeadLetter(queue, m, "MaxDeliveryCountExceeded",
                $"Message could not be consumed after {queue.Settings.MaxDeliveryCount} delivery attempts.", null);
            return;
        }

        if (m.State == MessageState.Active)
        {
            queue.Available.Add(m.Sequence);
        }

        store.Update(m);
        dirty.Add(queue);
        _ = turn;
    }

    private static void Modify(StoredMessage m, IDictionary<string, object?>? properties)
    {
        if (properties is null || properties.Count == 0)
        {
            return;
        }

        m.Body = Codec.WithApplicationProperties(m.Body, properties);
    }

    private void DeadLetter(MessageQueue queue, StoredMessage m, string? reason, string? description, IDictionary<string, object?>? properties)
    {
        if (queue.DeadLetterQueue is not { } dlq)
        {
            // Already in a dead-letter queue: Service Bus keeps it there, available.
            Modify(m, properties);
            queue.Available.Add(m.Sequence);
            store.Update(m);
            dirty.Add(queue);
            return;
        }

        Remove(queue, m);
        var changes = new Dictionary<string, object?>(properties ?? new Dictionary<string, object?>());
        if (reason is not null)
        {
            changes["DeadLetterReason"] = reason;
        }

        if (description is not null)
        {
            changes["DeadLetterErrorDescription"] = description;
        }

        Modify(m, changes);
        m.Entity = dlq.Path;
        m.State = MessageState.Active;
        m.DeadLetterSource = queue.SourceName;
        m.ExpiresTicks = long.MaxValue;
        store.Update(m);
        Add(dlq, m);
        dirty.Add(dlq);
        LogDeadLettered(logger, m.Sequence, queue.Path, reason);
    }

    private void Expire(Turn turn, MessageQueue queue, StoredMessage m)
    {
        if (queue.Settings.DeadLetterOnExpiration)
        {
            DeadLetter(queue, m, "TTLExpiredException", "The message expired and was dead lettered.", null);
        }
        else
        {
            Remove(queue, m);
            store.Delete(m.Sequence);
        }

        _ = turn;
    }

    // ---- time ----

    private void Sweep(Turn turn, long now)
    {
        foreach (var queue in queues.Values)
        {
            while (queue.Scheduled.Count > 0 && queue.Scheduled.Min.Ticks <= now)
            {
                var (_, seq) = queue.Scheduled.Min;
                queue.Scheduled.Remove(queue.Scheduled.Min);
                var m = queue.Messages[seq];
                m.State = MessageState.Active;
                m.EnqueuedTicks = Math.Max(m.ScheduledTicks, m.EnqueuedTicks);
                if (m.ExpiresTicks != long.MaxValue)
                {
                    queue.Expiring.Add((m.ExpiresTicks, m.Sequence));
                }

                queue.Available.Add(seq);
                store.Update(m);
                dirty.Add(queue);
            }

            if (queue.Locks.Count > 0)
            {
                foreach (var m in queue.Locks.Values.Where(m => m.LockedUntilTicks <= now).ToList())
                {
                    queue.Locks.Remove(m.LockToken);
                    m.LockToken = Guid.Empty;
                    m.LockedBy = null;
                    Release(turn, queue, m);
                }
            }

            if (!queue.IsDeadLetter)
            {
                while (queue.Expiring.Count > 0 && queue.Expiring.Min.Ticks <= now)
                {
                    var expired = queue.Expiring.Where(e => e.Ticks <= now).Select(e => queue.Messages[e.Sequence])
                        .Where(m => m.LockToken == Guid.Empty).ToList();
                    foreach (var m in expired)
                    {
                        Expire(turn, queue, m);
                    }

                    break;
                }
            }
        }

        if (now - lastDuplicateSweepTicks >= TimeSpan.TicksPerSecond)
        {
            lastDuplicateSweepTicks = now;
            foreach (var target in targets.Values)
            {
                while (target.DuplicateOrder.Count > 0 && target.DuplicateOrder.Peek().Expires <= now)
                {
                    var (expires, id) = target.DuplicateOrder.Dequeue();
                    if (target.Duplicates.TryGetValue(id, out var current) && current == expires)
                    {
                        target.Duplicates.Remove(id);
                    }
                }
            }

            store.ForgetDuplicates(now);
        }
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Loaded {Count} messages; next sequence number {Next}")]
    private static partial void LogLoaded(ILogger logger, int count, long next);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "Message {Sequence} belongs to entity {Entity}, which the configuration no longer defines; ignored")]
    private static partial void LogOrphan(ILogger logger, long sequence, string entity);

    [LoggerMessage(EventId = 102, Level = LogLevel.Error, Message = "A broker work item failed")]
    private static partial void LogWorkFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 103, Level = LogLevel.Debug, Message = "After-commit action failed: {Reason}")]
    private static partial void LogAfterCommitFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 104, Level = LogLevel.Debug, Message = "Duplicate message {MessageId} to {Entity} dropped")]
    private static partial void LogDuplicate(ILogger logger, string messageId, string entity);

    [LoggerMessage(EventId = 105, Level = LogLevel.Debug, Message = "Message {Sequence} of {Entity} dead-lettered: {Reason}")]
    private static partial void LogDeadLettered(ILogger logger, long sequence, string entity, string? reason);
}
