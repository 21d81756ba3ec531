using EcosystemFlows.ServiceBusEmulator.Configuration;

namespace EcosystemFlows.ServiceBusEmulator.Messaging;

/// <summary>Settings of a queue or subscription (and of its dead-letter sub-queue).</summary>
internal sealed record QueueSettings(TimeSpan LockDuration, int MaxDeliveryCount, TimeSpan? DefaultTimeToLive, bool DeadLetterOnExpiration)
{
    public static QueueSettings From(EntityProperties p) =>
        new(p.LockDurationValue, Math.Max(1, p.MaxDeliveryCount), p.DefaultTimeToLiveValue, p.DeadLetteringOnMessageExpiration);
}

/// <summary>Something that receives messages: a queue, a subscription, or one of their dead-letter sub-queues.</summary>
internal sealed class MessageQueue(string path, QueueSettings settings, bool isDeadLetter)
{
    public string Path { get; } = path;

    public QueueSettings Settings { get; } = settings;

    public bool IsDeadLetter { get; } = isDeadLetter;

    public MessageQueue? DeadLetterQueue { get; init; }

    /// <summary>The entity name a dead-lettered message names as its source (the queue or subscription path).</summary>
    public string SourceName { get; init; } = path;

    public SortedDictionary<long, StoredMessage> Messages { get; } = [];

    public SortedSet<long> Available { get; } = [];

    public SortedSet<(long Ticks, long Sequence)> Scheduled { get; } = [];

    public SortedSet<(long Ticks, long Sequence)> Expiring { get; } = [];

    public Dictionary<Guid, StoredMessage> Locks { get; } = [];

    public List<IConsumer> Consumers { get; } = [];

    public int NextConsumer { get; set; }
}

/// <summary>Where senders send: a queue or a topic, with its duplicate-detection history.</summary>
internal sealed class SendTarget(string path, bool requiresDuplicateDetection, TimeSpan duplicateWindow)
{
    public string Path { get; } = path;

    public bool RequiresDuplicateDetection { get; } = requiresDuplicateDetection;

    public TimeSpan DuplicateWindow { get; } = duplicateWindow;

    public Dictionary<string, long> Duplicates { get; } = new(StringComparer.Ordinal);

    public Queue<(long Expires, string MessageId)> DuplicateOrder { get; } = new();

    /// <summary>Set for a queue.</summary>
    public MessageQueue? Queue { get; init; }

    /// <summary>Set for a topic.</summary>
    public List<(MessageQueue Queue, Filter[] Rules)> Subscriptions { get; } = [];
}

/// <summary>A receiving link as the broker sees it.</summary>
internal interface IConsumer
{
    bool ReceiveAndDelete { get; }

    /// <summary>Messages the link may still be sent (mirrors the AMQP link credit).</summary>
    int Credit { get; set; }

    bool IsDraining { get; }

    bool IsClosed { get; }

    /// <summary>Sends one message (called after the turn that decided it has committed).</summary>
    void Deliver(global::Amqp.Message message, Guid lockToken);

    void CompleteDrain();
}
