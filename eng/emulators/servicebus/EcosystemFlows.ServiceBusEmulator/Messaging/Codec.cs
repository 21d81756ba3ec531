using Amqp;
using Amqp.Framing;
using Amqp.Types;

namespace EcosystemFlows.ServiceBusEmulator.Messaging;

/// <summary>Turns stored messages into what the SDK expects on the wire (Service Bus's x-opt-* annotations).</summary>
internal static class Codec
{
    public static Message Decode(byte[] bytes) => Message.Decode(new ByteBuffer(bytes, 0, bytes.Length, bytes.Length));

    public static byte[] ToArray(this ByteBuffer buffer)
    {
        var bytes = new byte[buffer.Length];
        Buffer.BlockCopy(buffer.Buffer, buffer.Offset, bytes, 0, buffer.Length);
        return bytes;
    }

    public static Message ToAmqp(StoredMessage m, long lockedUntilTicks)
    {
        var message = Decode(m.Body);
        message.Header ??= new Header();
        message.Header.DeliveryCount = (uint)Math.Max(0, m.DeliveryCount - 1);
        if (m.ExpiresTicks != long.MaxValue)
        {
            var ttl = (m.ExpiresTicks - m.EnqueuedTicks) / TimeSpan.TicksPerMillisecond;
            message.Header.Ttl = ttl is > 0 and < uint.MaxValue ? (uint)ttl : message.Header.Ttl;

            // Service Bus documents ExpiresAt as enqueued time + TTL; the SDK derives ExpiresAt and TimeToLive from these two.
            message.Properties ??= new Properties();
            message.Properties.CreationTime = new DateTime(m.EnqueuedTicks, DateTimeKind.Utc);
            message.Properties.AbsoluteExpiryTime = new DateTime(m.ExpiresTicks, DateTimeKind.Utc);
        }

        message.MessageAnnotations ??= new MessageAnnotations();
        var annotations = message.MessageAnnotations;
        annotations[(Symbol)"x-opt-sequence-number"] = m.Sequence;
        annotations[(Symbol)"x-opt-enqueue-sequence-number"] = m.Sequence;
        annotations[(Symbol)"x-opt-enqueued-time"] = new DateTime(m.EnqueuedTicks, DateTimeKind.Utc);
        annotations[(Symbol)"x-opt-message-state"] = (int)m.State;
        if (lockedUntilTicks > 0)
        {
            annotations[(Symbol)"x-opt-locked-until"] = new DateTime(lockedUntilTicks, DateTimeKind.Utc);
        }

        if (m.DeadLetterSource is not null)
        {
            annotations[(Symbol)"x-opt-deadletter-source"] = m.DeadLetterSource;
        }

        return message;
    }

    /// <summary>The message with application properties set (properties-to-modify, dead-letter reason and description).</summary>
    public static byte[] WithApplicationProperties(byte[] body, IDictionary<string, object?> properties)
    {
        var message = Decode(body);
        message.ApplicationProperties ??= new ApplicationProperties();
        foreach (var (key, value) in properties)
        {
            message.ApplicationProperties[key] = value;
        }

        return message.Encode().ToArray();
    }

    /// <summary>The messages of a transfer: one, or for a batch (format 0x80013700) each Data section's message.</summary>
    public static List<Message> Unbatch(Message message)
    {
        if (message.Format != 0x80013700)
        {
            return [message];
        }

        return message.BodySection switch
        {
            DataList list => Enumerable.Range(0, list.Count).Select(i => Decode(list[i].Binary)).ToList(),
            Data data => [Decode(data.Binary)],
            _ => throw new AmqpException(ErrorCode.DecodeError, "A batch must carry its messages in Data sections."),
        };
    }
}
