using System.Globalization;
using System.Text.Json;
using EcosystemFlows.Azure.ServiceBus;

namespace EcosystemFlows.Functions.Hosting.CustomHandler;

/// <summary>A Storage queue message as the host hands a <c>queueTrigger</c> to a custom handler.</summary>
internal sealed record QueueTriggerMessage(
    ReadOnlyMemory<byte> Body,
    string Id,
    int DequeueCount,
    DateTimeOffset? InsertionTime,
    DateTimeOffset? ExpirationTime,
    DateTimeOffset? NextVisibleTime,
    string? PopReceipt);

/// <summary>
/// Decodes the trigger shapes of the custom-handler request. Trigger bindings are generated with
/// <c>"dataType": "binary"</c>, so the body arrives as base64 (exact bytes, no text-encoding guesswork).
/// Scalar metadata is read leniently: the documented payload shows plain JSON values (<c>"DequeueCount": 1</c>),
/// while the host serializes each value with Json.NET first and so can send <c>"1"</c> or <c>"\"id\""</c>.
/// </summary>
internal static class TriggerPayloads
{
    /// <summary>The Service Bus message of binding <paramref name="bindingName"/>, as the standalone listener would hand it over.</summary>
    public static ServiceBusReceivedMessage DecodeServiceBus(InvocationRequest request, string bindingName, ServiceBusEntity entity)
    {
        var metadata = request.Metadata ?? [];
        var enqueued = Time(metadata, "EnqueuedTimeUtc");
        var expires = Time(metadata, "ExpiresAtUtc");
        return new ServiceBusReceivedMessage
        {
            Body = Body(request, bindingName),
            Entity = entity,
            MessageId = Text(metadata, "MessageId"),
            CorrelationId = Text(metadata, "CorrelationId"),
            // Extension v5 names it Subject; v4 Label.
            Subject = Text(metadata, "Subject") ?? Text(metadata, "Label"),
            ContentType = Text(metadata, "ContentType"),
            ReplyTo = Text(metadata, "ReplyTo"),
            TimeToLive = enqueued is { } from && expires is { } to && to > from ? to - from : null,
            DeliveryCount = Integer(metadata, "DeliveryCount") ?? 1,
            ApplicationProperties = Properties(metadata, "ApplicationProperties") ?? Properties(metadata, "UserProperties") ?? [],
        };
    }

    /// <summary>
    /// The Storage queue message of binding <paramref name="bindingName"/>. No function is queue-triggered
    /// yet: the only queues the app reads are the durable task hub's, and the runtime's dispatcher must own
    /// them (it deletes a message only after its effect is committed, batches, partitions and poisons), which
    /// a host-settled queue trigger would bypass. The decoding is here so such a function can be added
    /// with its contract already tested.
    /// </summary>
    public static QueueTriggerMessage DecodeQueue(InvocationRequest request, string bindingName)
    {
        var metadata = request.Metadata ?? [];
        return new QueueTriggerMessage(
            Body(request, bindingName),
            Text(metadata, "Id") ?? throw new InvalidInvocationException("Metadata.Id (the queue message id) is missing"),
            Integer(metadata, "DequeueCount") ?? throw new InvalidInvocationException("Metadata.DequeueCount is missing"),
            Time(metadata, "InsertionTime"),
            Time(metadata, "ExpirationTime"),
            Time(metadata, "NextVisibleTime"),
            Text(metadata, "PopReceipt"));
    }

    private static byte[] Body(InvocationRequest request, string bindingName)
    {
        if (request.Data is null || !request.Data.TryGetValue(bindingName, out var value))
        {
            throw new InvalidInvocationException($"Data.{bindingName} (the trigger binding) is missing");
        }

        if (Scalar(value) is not { } base64)
        {
            throw new InvalidInvocationException($"Data.{bindingName} must be a base64 string (dataType binary), not {value.ValueKind}");
        }

        try
        {
            return Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            throw new InvalidInvocationException($"Data.{bindingName} is not base64 (the binding is declared dataType binary)");
        }
    }

    private static string? Text(Dictionary<string, JsonElement> metadata, string name) =>
        Find(metadata, name) is { } value ? Scalar(value) : null;

    private static int? Integer(Dictionary<string, JsonElement> metadata, string name)
    {
        var text = Text(metadata, name);
        if (text is null)
        {
            return null;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number)
            ? number
            : throw new InvalidInvocationException($"Metadata.{name} must be an integer, not '{text}'");
    }

    private static DateTimeOffset? Time(Dictionary<string, JsonElement> metadata, string name)
    {
        var text = Text(metadata, name);
        if (text is null)
        {
            return null;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
            ? time
            : throw new InvalidInvocationException($"Metadata.{name} must be a timestamp, not '{text}'");
    }

    private static Dictionary<string, object?>? Properties(Dictionary<string, JsonElement> metadata, string name)
    {
        if (Find(metadata, name) is not { } value)
        {
            return null;
        }

        // A Json.NET-serialized object may arrive as a string holding the JSON.
        if (value.ValueKind == JsonValueKind.String && value.GetString() is { } json && json.StartsWith('{'))
        {
            using var document = JsonDocument.Parse(json);
            return Properties(document.RootElement, name);
        }

        return Properties(value, name);
    }

    private static Dictionary<string, object?> Properties(JsonElement value, string name)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidInvocationException($"Metadata.{name} must be an object, not {value.ValueKind}");
        }

        return value.EnumerateObject().ToDictionary(
            p => p.Name,
            p => p.Value.ValueKind switch
            {
                JsonValueKind.String => p.Value.GetString(),
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                JsonValueKind.Number when p.Value.TryGetInt64(out var integer) => integer,
                JsonValueKind.Number => p.Value.GetDouble(),
                JsonValueKind.Null => null,
                _ => (object?)p.Value.GetRawText(),
            },
            StringComparer.Ordinal);
    }

    private static JsonElement? Find(Dictionary<string, JsonElement> metadata, string name)
    {
        foreach (var (key, value) in metadata)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase) && value.ValueKind != JsonValueKind.Null)
            {
                return value;
            }
        }

        return null;
    }

    /// <summary>A scalar's text: numbers and booleans as written, strings unquoted once more if Json.NET quoted them.</summary>
    private static string? Scalar(JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Number:
            case JsonValueKind.True:
            case JsonValueKind.False:
                return value.GetRawText();
            case JsonValueKind.String:
                var text = value.GetString()!;
                if (text.Length >= 2 && text[0] == '"' && text[^1] == '"')
                {
                    try
                    {
                        return JsonSerializer.Deserialize(text, InvocationJsonContext.Default.String);
                    }
                    catch (JsonException)
                    {
                        return text;
                    }
                }

                return text;
            default:
                return null;
        }
    }
}
