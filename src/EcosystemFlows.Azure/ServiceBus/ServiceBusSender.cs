using System.Collections.Concurrent;
using System.Diagnostics;
using Azure.Messaging.ServiceBus;
using SdkMessage = Azure.Messaging.ServiceBus.ServiceBusMessage;
using SdkSender = Azure.Messaging.ServiceBus.ServiceBusSender;

namespace EcosystemFlows.Azure.ServiceBus;

/// <summary>
/// Sends the app's messages through the SDK's <see cref="SdkSender"/>s (one per entity, kept for the process's
/// lifetime, as the SDK recommends). A send completes when the namespace has stored the message; the SDK retries
/// transient failures with the same message id, so duplicates are possible and receivers de-duplicate by id.
/// W3C trace context travels in the <c>traceparent</c> and <c>Diagnostic-Id</c> application properties.
/// </summary>
public sealed class ServiceBusSender(ServiceBusClient client) : IAsyncDisposable
{
    /// <summary>Activity source for Service Bus producer and consumer spans.</summary>
    public static readonly ActivitySource ActivitySource = new("EcosystemFlows.ServiceBus");

    /// <summary>W3C trace context application property.</summary>
    public const string TraceParentProperty = "traceparent";

    /// <summary>W3C trace state application property (sent when the context has one).</summary>
    public const string TraceStateProperty = "tracestate";

    /// <summary>The property the Service Bus SDKs themselves use for the same context.</summary>
    public const string DiagnosticIdProperty = "Diagnostic-Id";

    private readonly ConcurrentDictionary<string, SdkSender> _senders = new(StringComparer.Ordinal);

    /// <summary>Sends <paramref name="message"/> to queue <paramref name="queue"/>.</summary>
    public Task SendToQueueAsync(string queue, ServiceBusMessage message, CancellationToken cancellationToken = default) =>
        SendAsync(queue, message, cancellationToken);

    /// <summary>Publishes <paramref name="message"/> to topic <paramref name="topic"/> (subscriptions filter by their rules).</summary>
    public Task SendToTopicAsync(string topic, ServiceBusMessage message, CancellationToken cancellationToken = default) =>
        SendAsync(topic, message, cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var sender in _senders.Values)
        {
            await sender.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The SDK message for <paramref name="message"/>, with the trace context of <paramref name="traceContext"/>.</summary>
    internal static SdkMessage ToSdk(ServiceBusMessage message, Activity? traceContext)
    {
        var sdk = new SdkMessage(BinaryData.FromBytes(message.Body))
        {
            // Fixed before the first attempt so an SDK retry re-sends the same id (duplicate detection).
            MessageId = message.MessageId ?? Guid.NewGuid().ToString("N"),
            CorrelationId = message.CorrelationId,
            Subject = message.Subject,
            ContentType = message.ContentType,
            ReplyTo = message.ReplyTo,
        };
        if (message.TimeToLive is { } ttl)
        {
            sdk.TimeToLive = ttl;
        }

        if (message.ScheduledEnqueueTime is { } at)
        {
            sdk.ScheduledEnqueueTime = at;
        }

        foreach (var (key, value) in message.ApplicationProperties)
        {
            if (value is not null)
            {
                sdk.ApplicationProperties[key] = value;
            }
        }

        if (traceContext is not null && traceContext.IdFormat == ActivityIdFormat.W3C)
        {
            sdk.ApplicationProperties[TraceParentProperty] = traceContext.Id;
            sdk.ApplicationProperties[DiagnosticIdProperty] = traceContext.Id;
            if (!string.IsNullOrEmpty(traceContext.TraceStateString))
            {
                sdk.ApplicationProperties[TraceStateProperty] = traceContext.TraceStateString;
            }
        }

        return sdk;
    }

    /// <summary>The trace parent a received message carries (traceparent, else Diagnostic-Id).</summary>
    internal static string? ParentId(IReadOnlyDictionary<string, object> properties) =>
        properties.TryGetValue(TraceParentProperty, out var tp) && tp is string traceParent ? traceParent
        : properties.TryGetValue(DiagnosticIdProperty, out var di) && di is string diagnosticId ? diagnosticId
        : null;

    private async Task SendAsync(string entity, ServiceBusMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        using var activity = ActivitySource.StartActivity($"send {entity}", ActivityKind.Producer);
        activity?.SetTag("messaging.system", "servicebus");
        activity?.SetTag("messaging.destination.name", entity);
        activity?.SetTag("messaging.message.id", message.MessageId);
        var sdk = ToSdk(message, activity ?? Activity.Current);
        var sender = _senders.GetOrAdd(entity, client.CreateSender);
        await sender.SendMessageAsync(sdk, cancellationToken).ConfigureAwait(false);
    }
}
