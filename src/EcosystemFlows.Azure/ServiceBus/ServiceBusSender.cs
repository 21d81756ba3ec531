using System.Diagnostics;

namespace EcosystemFlows.Azure.ServiceBus;

/// <summary>
/// Sends messages to queues and topics over the shared <see cref="ServiceBusConnection"/>. Every message
/// is durable; a send completes when the broker has accepted (stored) it, and is retried across
/// reconnects, so a retry may duplicate it: receivers de-duplicate by message id.
/// </summary>
public sealed class ServiceBusSender(ServiceBusConnection connection) : IAmqpSendPath
{
    /// <summary>Activity source for Service Bus producer and consumer spans.</summary>
    public static readonly ActivitySource ActivitySource = new("EcosystemFlows.ServiceBus");

    /// <summary>Sends <paramref name="message"/> to queue <paramref name="queue"/>.</summary>
    public Task SendToQueueAsync(string queue, ServiceBusMessage message, CancellationToken cancellationToken = default) =>
        SendToAddressAsync(connection.Dialect.QueueAddress(queue), queue, message, cancellationToken);

    /// <summary>
    /// Publishes <paramref name="message"/> to topic <paramref name="topic"/>. Locally
    /// <paramref name="routingKey"/> (default: the subject) routes it through the topic exchange.
    /// </summary>
    public Task SendToTopicAsync(string topic, ServiceBusMessage message, string? routingKey = null, CancellationToken cancellationToken = default) =>
        SendToAddressAsync(connection.Dialect.TopicAddress(topic, routingKey ?? message.Subject ?? "#"), topic, message, cancellationToken);

    Task IAmqpSendPath.SendAsync(string address, Func<Amqp.Message> message, CancellationToken cancellationToken) =>
        connection.SendAsync(address, message, cancellationToken);

    private async Task SendToAddressAsync(string address, string entity, ServiceBusMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        using var activity = ActivitySource.StartActivity($"send {entity}", ActivityKind.Producer);
        activity?.SetTag("messaging.system", "servicebus");
        activity?.SetTag("messaging.destination.name", entity);
        activity?.SetTag("messaging.message.id", message.MessageId);
        var traceContext = activity ?? Activity.Current;
        // The id is fixed before the first attempt so a retry re-sends the same message id.
        var stable = message.MessageId is null ? message with { MessageId = Guid.NewGuid().ToString("N") } : message;
        // Built up front so a dialect refusal (scheduling locally) fails before anything is sent; a
        // retry builds a fresh AMQP message (a sent one carries its delivery state).
        Amqp.Message? first = AmqpMessageMapper.ToAmqp(stable, connection.Dialect, traceContext);
        await connection.SendAsync(
            address,
            () => Interlocked.Exchange(ref first, null) ?? AmqpMessageMapper.ToAmqp(stable, connection.Dialect, traceContext),
            cancellationToken).ConfigureAwait(false);
    }
}
