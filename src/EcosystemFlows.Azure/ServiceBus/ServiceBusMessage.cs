namespace EcosystemFlows.Azure.ServiceBus;

/// <summary>A message to send. The body is bytes (AMQP data section); everything else is optional.</summary>
public sealed record ServiceBusMessage
{
    /// <summary>Creates a message with <paramref name="body"/>.</summary>
    public ServiceBusMessage(ReadOnlyMemory<byte> body) => Body = body;

    /// <summary>The payload.</summary>
    public ReadOnlyMemory<byte> Body { get; init; }

    /// <summary>The message id; stable across retries so receivers (and Service Bus duplicate detection) can de-duplicate. A new GUID when not set.</summary>
    public string? MessageId { get; init; }

    /// <summary>Correlation id.</summary>
    public string? CorrelationId { get; init; }

    /// <summary>Subject (Service Bus's label).</summary>
    public string? Subject { get; init; }

    /// <summary>Content type of the body, e.g. <c>application/json</c>.</summary>
    public string? ContentType { get; init; }

    /// <summary>Reply-to address.</summary>
    public string? ReplyTo { get; init; }

    /// <summary>How long the message lives in the entity before it expires.</summary>
    public TimeSpan? TimeToLive { get; init; }

    /// <summary>When the broker should make the message visible; refused by a dialect that cannot schedule.</summary>
    public DateTimeOffset? ScheduledEnqueueTime { get; init; }

    /// <summary>Application properties (string, bool, integer, floating point, Guid, DateTime values).</summary>
    public IReadOnlyDictionary<string, object?> ApplicationProperties { get; init; } = new Dictionary<string, object?>();
}

/// <summary>A received message, as a handler sees it.</summary>
public sealed record ServiceBusReceivedMessage
{
    /// <summary>The payload.</summary>
    public required ReadOnlyMemory<byte> Body { get; init; }

    /// <summary>The message id.</summary>
    public string? MessageId { get; init; }

    /// <summary>Correlation id.</summary>
    public string? CorrelationId { get; init; }

    /// <summary>Subject.</summary>
    public string? Subject { get; init; }

    /// <summary>Content type of the body.</summary>
    public string? ContentType { get; init; }

    /// <summary>Reply-to address.</summary>
    public string? ReplyTo { get; init; }

    /// <summary>Time-to-live the sender set, if any.</summary>
    public TimeSpan? TimeToLive { get; init; }

    /// <summary>This delivery's number, starting at 1 (counted by the broker on Azure, by this client locally).</summary>
    public int DeliveryCount { get; init; } = 1;

    /// <summary>The entity it was received from.</summary>
    public required ServiceBusEntity Entity { get; init; }

    /// <summary>Application properties (the client's bookkeeping properties removed).</summary>
    public IReadOnlyDictionary<string, object?> ApplicationProperties { get; init; } = new Dictionary<string, object?>();
}
