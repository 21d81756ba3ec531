namespace EcosystemFlows.Azure.ServiceBus;

/// <summary>
/// Thrown by a handler for a message that can never succeed (undeserializable, invalid, unknown): the
/// message is dead-lettered at once with <see cref="Reason"/> and <see cref="Description"/>, never retried.
/// Any other exception counts as transient: the message is abandoned and retried up to the max delivery count.
/// </summary>
public sealed class DeadLetterMessageException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DeadLetterMessageException(string reason, string description, Exception? innerException = null)
        : base($"{reason}: {description}", innerException)
    {
        Reason = reason;
        Description = description;
    }

    /// <summary>Required by the exception design guidelines; prefer the reason/description constructor.</summary>
    public DeadLetterMessageException()
        : this("Rejected", "rejected by the handler")
    {
    }

    /// <summary>Required by the exception design guidelines; prefer the reason/description constructor.</summary>
    public DeadLetterMessageException(string message)
        : this("Rejected", message)
    {
    }

    /// <summary>Required by the exception design guidelines; prefer the reason/description constructor.</summary>
    public DeadLetterMessageException(string message, Exception innerException)
        : this("Rejected", message, innerException)
    {
    }

    /// <summary>Short machine-readable reason (Service Bus's DeadLetterReason), e.g. <c>DeserializationFailed</c>.</summary>
    public string Reason { get; }

    /// <summary>Human-readable detail (Service Bus's DeadLetterErrorDescription).</summary>
    public string Description { get; }

    /// <summary>Well-known reasons.</summary>
    public static class Reasons
    {
        /// <summary>The body is not valid JSON for the expected type.</summary>
        public const string DeserializationFailed = nameof(DeserializationFailed);

        /// <summary>The body deserialized but broke the message's rules.</summary>
        public const string ValidationFailed = nameof(ValidationFailed);

        /// <summary>The message is larger than the configured maximum.</summary>
        public const string MessageTooLarge = nameof(MessageTooLarge);

        /// <summary>The handler failed on every one of the allowed deliveries (Service Bus's own reason text).</summary>
        public const string MaxDeliveryCountExceeded = nameof(MaxDeliveryCountExceeded);
    }
}
