using System.Diagnostics;
using Amqp;
using Amqp.Framing;

namespace EcosystemFlows.Azure.ServiceBus;

/// <summary>Maps between <see cref="ServiceBusMessage"/>/<see cref="ServiceBusReceivedMessage"/> and AMQP messages.</summary>
internal static class AmqpMessageMapper
{
    /// <summary>W3C trace context parent (application property).</summary>
    public const string TraceParent = "traceparent";

    /// <summary>W3C trace state (application property).</summary>
    public const string TraceState = "tracestate";

    /// <summary>The property Azure SDKs use for the same parent id.</summary>
    public const string DiagnosticId = "Diagnostic-Id";

    /// <summary>Builds the AMQP message; the trace context of <paramref name="activity"/> travels in application properties.</summary>
    public static Message ToAmqp(ServiceBusMessage message, ServiceBusDialect dialect, Activity? activity)
    {
        var amqp = new Message
        {
            // Service Bus stores every message durably; RabbitMQ only messages marked durable.
            Header = new Header { Durable = true },
            Properties = new Properties
            {
                MessageId = message.MessageId ?? Guid.NewGuid().ToString("N"),
                CorrelationId = message.CorrelationId,
                Subject = message.Subject,
                ReplyTo = message.ReplyTo,
            },
            ApplicationProperties = new ApplicationProperties(),
            BodySection = new Data { Binary = message.Body.ToArray() },
        };
        if (message.ContentType is not null)
        {
            amqp.Properties.ContentType = message.ContentType;
        }

        if (message.TimeToLive is { } ttl)
        {
            amqp.Header.Ttl = (uint)Math.Clamp(ttl.TotalMilliseconds, 1, uint.MaxValue);
        }

        foreach (var (key, value) in message.ApplicationProperties)
        {
            amqp.ApplicationProperties[key] = value switch
            {
                DateTimeOffset time => time.UtcDateTime,
                TimeSpan span => span.Ticks,
                _ => value,
            };
        }

        if (activity is not null && activity.IdFormat == ActivityIdFormat.W3C)
        {
            amqp.ApplicationProperties[TraceParent] = activity.Id;
            amqp.ApplicationProperties[DiagnosticId] = activity.Id;
            if (activity.TraceStateString is { Length: > 0 } state)
            {
                amqp.ApplicationProperties[TraceState] = state;
            }
        }

        if (message.ScheduledEnqueueTime is { } enqueueAt)
        {
            dialect.ApplySchedule(amqp, enqueueAt);
        }

        return amqp;
    }

    /// <summary>The body as bytes, whatever section type the sender chose.</summary>
    public static ReadOnlyMemory<byte> Body(Message message) => message.BodySection switch
    {
        Data data => data.Binary ?? [],
        AmqpValue { Value: byte[] bytes } => bytes,
        AmqpValue { Value: string text } => System.Text.Encoding.UTF8.GetBytes(text),
        _ => ReadOnlyMemory<byte>.Empty,
    };

    public static ServiceBusReceivedMessage FromAmqp(Message message, ServiceBusEntity entity, ServiceBusDialect dialect)
    {
        var properties = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (message.ApplicationProperties is { } map)
        {
            foreach (var key in map.Map.Keys)
            {
                var name = key.ToString()!;
                if (name != ServiceBusDialect.LocalDeliveryCountProperty)
                {
                    properties[name] = map.Map[key];
                }
            }
        }

        var ttl = message.Header is { Ttl: > 0 } header ? TimeSpan.FromMilliseconds(header.Ttl) : (TimeSpan?)null;
        return new ServiceBusReceivedMessage
        {
            Body = Body(message),
            MessageId = message.Properties?.MessageId,
            CorrelationId = message.Properties?.CorrelationId,
            Subject = message.Properties?.Subject,
            ContentType = message.Properties?.ContentType is { } contentType ? (string)contentType : null,
            ReplyTo = message.Properties?.ReplyTo,
            TimeToLive = ttl,
            DeliveryCount = dialect.DeliveryCount(message),
            Entity = entity,
            ApplicationProperties = properties,
        };
    }

    /// <summary>Estimated size on the wire, for the oversize check before any decoding of the body.</summary>
    public static int Size(Message message) => Body(message).Length + 512;

    /// <summary>The trace parent a received message carries, if any.</summary>
    public static string? ParentId(Message message) =>
        message.ApplicationProperties?[TraceParent] as string ?? message.ApplicationProperties?[DiagnosticId] as string;
}
