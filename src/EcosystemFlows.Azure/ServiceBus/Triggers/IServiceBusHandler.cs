using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace EcosystemFlows.Azure.ServiceBus.Triggers;

/// <summary>
/// A function triggered by Service Bus messages. Resolved from a DI scope per message. Return normally to
/// complete the message; throw <see cref="DeadLetterMessageException"/> to dead-letter it at once; throw
/// anything else to abandon it for a retry (dead-lettered after the max delivery count).
/// </summary>
public interface IServiceBusHandler
{
    /// <summary>Handles one message.</summary>
    Task HandleAsync(ServiceBusReceivedMessage message, CancellationToken cancellationToken);
}

/// <summary>
/// A handler of JSON messages of type <typeparamref name="TMessage"/>: a body that does not deserialize,
/// or whose data annotations or <see cref="Validate"/> rules fail, is dead-lettered at once with the reason.
/// </summary>
public abstract class ServiceBusJsonHandler<TMessage> : IServiceBusHandler
    where TMessage : class
{
    /// <summary>Source-generated metadata for <typeparamref name="TMessage"/>.</summary>
    protected abstract JsonTypeInfo<TMessage> JsonTypeInfo { get; }

    /// <inheritdoc />
    public async Task HandleAsync(ServiceBusReceivedMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        TMessage? body;
        try
        {
            body = JsonSerializer.Deserialize(message.Body.Span, JsonTypeInfo);
        }
        catch (JsonException ex)
        {
            throw new DeadLetterMessageException(DeadLetterMessageException.Reasons.DeserializationFailed,
                $"the body is not a valid {typeof(TMessage).Name}: {ex.Message}", ex);
        }

        if (body is null)
        {
            throw new DeadLetterMessageException(DeadLetterMessageException.Reasons.DeserializationFailed, "the body is JSON null");
        }

        var errors = new List<ValidationResult>();
        Validator.TryValidateObject(body, new ValidationContext(body), errors, validateAllProperties: true);
        var problems = errors.Select(error => $"{string.Join(",", error.MemberNames)}: {error.ErrorMessage}").Concat(Validate(body)).ToList();
        if (problems.Count > 0)
        {
            throw new DeadLetterMessageException(DeadLetterMessageException.Reasons.ValidationFailed, string.Join("; ", problems));
        }

        await HandleAsync(body, message, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Rules beyond data annotations; each returned string is one violation.</summary>
    protected virtual IEnumerable<string> Validate(TMessage message) => [];

    /// <summary>Handles a deserialized, valid message.</summary>
    protected abstract Task HandleAsync(TMessage message, ServiceBusReceivedMessage received, CancellationToken cancellationToken);
}
