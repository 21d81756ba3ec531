using System.Globalization;
using Amqp;
using Amqp.Framing;
using Amqp.Types;

namespace EcosystemFlows.Azure.ServiceBus;

/// <summary>
/// The one place that knows how Azure Service Bus and the local broker (RabbitMQ 3.10 with the AMQP 1.0
/// plugin) differ: addressing, authentication, dead-lettering, abandoning, delivery counting and
/// scheduling. Everything else in this folder is dialect-neutral.
/// </summary>
public sealed class ServiceBusDialect
{
    /// <summary>Service Bus's annotation for a scheduled message (an AMQP timestamp, UTC).</summary>
    public const string ScheduledEnqueueTimeAnnotation = "x-opt-scheduled-enqueue-time";

    /// <summary>The condition of a <c>rejected</c> outcome that dead-letters on Service Bus.</summary>
    public const string DeadLetterCondition = "com.microsoft:dead-letter";

    /// <summary>Dead-letter reason: the name Service Bus uses, also stamped by the local dialect.</summary>
    public const string DeadLetterReasonProperty = "DeadLetterReason";

    /// <summary>Dead-letter description: the name Service Bus uses, also stamped by the local dialect.</summary>
    public const string DeadLetterErrorDescriptionProperty = "DeadLetterErrorDescription";

    /// <summary>
    /// Locally, the application property counting deliveries (RabbitMQ leaves header.delivery-count at 0):
    /// the number of the delivery this copy is (absent = 1).
    /// </summary>
    public const string LocalDeliveryCountProperty = "x-ecoflows-delivery-count";

    private ServiceBusDialect(bool isLocal) => IsLocal = isLocal;

    /// <summary>Azure Service Bus.</summary>
    public static ServiceBusDialect Azure { get; } = new(isLocal: false);

    /// <summary>The local RabbitMQ broker.</summary>
    public static ServiceBusDialect Local { get; } = new(isLocal: true);

    /// <summary>True for the local broker.</summary>
    public bool IsLocal { get; }

    /// <summary>Service Bus checks a token per link; the local broker authenticates once with SASL PLAIN.</summary>
    public bool UsesClaimsBasedSecurity => !IsLocal;

    /// <summary>The local broker cannot hold a message back; Service Bus can.</summary>
    public bool SupportsScheduling => !IsLocal;

    /// <summary>The dialect a connection string selects.</summary>
    public static ServiceBusDialect For(ServiceBusConnectionString connection) =>
        connection.UseDevelopmentEmulator ? Local : Azure;

    /// <summary>
    /// Where to send to a queue. Locally <c>/queue/&lt;q&gt;</c> with a durable terminus (see
    /// <see cref="SenderTarget"/>): RabbitMQ declares the durable queue if it is missing instead of
    /// silently dropping what is sent to <c>/amq/queue/&lt;missing&gt;</c>, so a dead letter or a misspelt
    /// queue name never loses messages. (Service Bus refuses the attach to a missing entity.)
    /// </summary>
    public string QueueAddress(string queue) => IsLocal ? $"/queue/{queue}" : queue;

    /// <summary>
    /// Where to publish to a topic. Locally a topic is a topic exchange and <paramref name="routingKey"/>
    /// (the event type) lets bindings filter; Service Bus filters on application properties instead.
    /// </summary>
    public string TopicAddress(string topic, string routingKey) => IsLocal ? $"/exchange/{topic}/{routingKey}" : topic;

    /// <summary>Where to receive from an entity. Locally a subscription is the queue <c>&lt;topic&gt;.&lt;subscription&gt;</c>.</summary>
    public string ReceiveAddress(ServiceBusEntity entity) => IsLocal
        ? $"/amq/queue/{LocalQueueName(entity)}"
        : entity.Subscription is null ? entity.Name : $"{entity.Name}/Subscriptions/{entity.Subscription}";

    /// <summary>
    /// The entity's dead-letter path: <c>…/$deadletterqueue</c> on Service Bus (receive from it); locally
    /// the queue <c>&lt;q&gt;.dlq</c>, addressed for sending (read it as <see cref="ServiceBusEntity.Queue"/> <c>&lt;q&gt;.dlq</c>).
    /// </summary>
    public string DeadLetterAddress(ServiceBusEntity entity) => IsLocal
        ? QueueAddress($"{LocalQueueName(entity)}.dlq")
        : $"{ReceiveAddress(entity)}/$deadletterqueue";

    /// <summary>
    /// The target of a sender link. Locally a <c>/queue/…</c> target is durable: RabbitMQ declares the
    /// queue with the terminus's durability, and a non-durable declaration of an existing durable queue
    /// is refused (PRECONDITION_FAILED).
    /// </summary>
    internal Target SenderTarget(string address) => new()
    {
        Address = address,
        Durable = IsLocal && address.StartsWith("/queue/", StringComparison.Ordinal) ? 2u : 0u,
    };

    /// <summary>The CBS audience (token scope) of an address on namespace <paramref name="host"/>.</summary>
    public static string Audience(string host, string address) =>
        $"amqps://{host}/{address.TrimStart('/')}".ToLowerInvariant();

    /// <summary>
    /// How many times this message has been delivered, this delivery included (Service Bus's
    /// <c>DeliveryCount</c>). Service Bus counts in header.delivery-count (failed earlier attempts);
    /// locally the count travels in <see cref="LocalDeliveryCountProperty"/>.
    /// </summary>
    public int DeliveryCount(Message message)
    {
        if (!IsLocal)
        {
            return (int)Math.Min(int.MaxValue - 1, message.Header?.DeliveryCount ?? 0) + 1;
        }

        var value = message.ApplicationProperties?[LocalDeliveryCountProperty];
        return value switch
        {
            int count => Math.Max(1, count),
            long count => (int)Math.Clamp(count, 1, int.MaxValue),
            string text when int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var count) => Math.Max(1, count),
            _ => 1,
        };
    }

    /// <summary>Stamps the scheduled enqueue time, or refuses on a broker that would deliver it at once.</summary>
    public void ApplySchedule(Message message, DateTimeOffset enqueueAt)
    {
        if (!SupportsScheduling)
        {
            throw new NotSupportedException(
                "Scheduled enqueue is not supported by the local broker (RabbitMQ would deliver the message at once). " +
                "The message was not sent; use a durable timer instead, or run against Azure Service Bus.");
        }

        message.MessageAnnotations ??= new MessageAnnotations();
        message.MessageAnnotations[new Symbol(ScheduledEnqueueTimeAnnotation)] = enqueueAt.UtcDateTime;
    }

    /// <summary>The outcome that dead-letters on Service Bus: <c>rejected</c> with the reason in the error's info map.</summary>
    public static Rejected DeadLetterOutcome(string reason, string description) => new()
    {
        Error = new Error(new Symbol(DeadLetterCondition))
        {
            Description = description,
            Info = new Fields
            {
                [new Symbol(DeadLetterReasonProperty)] = reason,
                [new Symbol(DeadLetterErrorDescriptionProperty)] = description,
            },
        },
    };

    /// <summary>
    /// Dead-letters a received message with a reason. Service Bus: the <c>rejected</c> outcome of
    /// <see cref="DeadLetterOutcome"/>. Locally a reject would dead-letter without the reason, so a copy
    /// carrying <see cref="DeadLetterReasonProperty"/> and <see cref="DeadLetterErrorDescriptionProperty"/>
    /// is sent to the <c>.dlq</c> queue and only then is the original accepted (a crash in between leaves
    /// the original to be redelivered: at least once, never lost).
    /// </summary>
    internal async Task DeadLetterAsync(
        ReceiverLink link, Message message, ServiceBusEntity entity, string reason, string description,
        IAmqpSendPath sender, CancellationToken cancellationToken)
    {
        if (!IsLocal)
        {
            link.Complete(message, DeadLetterOutcome(reason, description));
            return;
        }

        var truncated = Truncate(description, 4096);
        await sender.SendAsync(
            DeadLetterAddress(entity),
            () =>
            {
                var copy = CopyForRepublish(message);
                copy.ApplicationProperties[DeadLetterReasonProperty] = reason;
                copy.ApplicationProperties[DeadLetterErrorDescriptionProperty] = truncated;
                return copy;
            },
            cancellationToken).ConfigureAwait(false);
        link.Accept(message);
    }

    /// <summary>
    /// Gives a message back for another attempt that counts as a delivery. Service Bus: <c>modified</c>
    /// with delivery-failed (its abandon; the broker increments the count). Locally a Modify ends the
    /// whole session and a release is not counted, so a copy with the count incremented is sent to the
    /// back of the queue and then the original is accepted; a crash in between means the message is
    /// delivered twice (once per copy): handlers must be idempotent, as with any at-least-once delivery.
    /// </summary>
    internal async Task AbandonAsync(
        ReceiverLink link, Message message, ServiceBusEntity entity, IAmqpSendPath sender, CancellationToken cancellationToken)
    {
        if (!IsLocal)
        {
            link.Modify(message, deliveryFailed: true, undeliverableHere: false, messageAnnotations: null);
            return;
        }

        var next = DeliveryCount(message) + 1;
        await sender.SendAsync(
            QueueAddress(LocalQueueName(entity)),
            () =>
            {
                var copy = CopyForRepublish(message);
                copy.ApplicationProperties[LocalDeliveryCountProperty] = next;
                return copy;
            },
            cancellationToken).ConfigureAwait(false);
        link.Accept(message);
    }

    /// <summary>Hands a message back without counting a delivery (shutdown, or a stale link): release on both brokers.</summary>
    internal static void Release(ReceiverLink link, Message message) => link.Release(message);

    private static string LocalQueueName(ServiceBusEntity entity) =>
        entity.Subscription is null ? entity.Name : $"{entity.Name}.{entity.Subscription}";

    private static Message CopyForRepublish(Message message)
    {
        var copy = new Message
        {
            // RabbitMQ drops non-durable messages on restart; a dead letter must survive one.
            Header = new Header { Durable = true },
            Properties = message.Properties,
            ApplicationProperties = new ApplicationProperties(),
            BodySection = message.BodySection,
        };
        if (message.Header is { Ttl: > 0 } header)
        {
            // Only when set: a ttl of 0 would make the broker expire the copy at once.
            copy.Header.Ttl = header.Ttl;
        }

        if (message.ApplicationProperties is { } properties)
        {
            foreach (var key in properties.Map.Keys)
            {
                copy.ApplicationProperties.Map[key] = properties.Map[key];
            }
        }

        return copy;
    }

    private static string Truncate(string value, int max) => value.Length <= max ? value : value[..max];
}
