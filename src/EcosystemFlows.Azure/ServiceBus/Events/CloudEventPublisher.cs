using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Options;

namespace EcosystemFlows.Azure.ServiceBus.Events;

/// <summary>An event to publish. The caller supplies <see cref="Id"/>, stable for the state transition it reports.</summary>
/// <typeparam name="TData">The event record (one per event, named in the past tense).</typeparam>
public sealed record EventPublication<TData>(string Id, CloudEventType Type, string Subject, TData Data)
{
    /// <summary>The partner ids involved; travel as the <c>partnerIds</c> application property for subscription filters.</summary>
    public IReadOnlyCollection<string> PartnerIds { get; init; } = [];

    /// <summary>When the transition happened (defaults to now).</summary>
    public DateTimeOffset? Time { get; init; }
}

/// <summary>
/// Publishes workflow events to the events topic. Called by the durable runtime's activities: a retried
/// activity publishes the same <see cref="EventPublication{TData}.Id"/> again (as the message id too),
/// so the event is at least once and consumers (and Service Bus duplicate detection) de-duplicate by id.
/// </summary>
public interface IEventPublisher
{
    /// <summary>Publishes <paramref name="publication"/>, its data serialized with <paramref name="dataType"/>.</summary>
    Task PublishAsync<TData>(EventPublication<TData> publication, JsonTypeInfo<TData> dataType, CancellationToken cancellationToken = default);
}

/// <summary>
/// Publishes CloudEvents 1.0 structured JSON to <see cref="ServiceBusOptions.EventsTopic"/>: message id =
/// event id, subject = offering id, content type <c>application/cloudevents+json</c>, and application
/// properties <c>type</c>, <c>subject</c> and <c>partnerIds</c> (<c>,p1,p2,</c>, so a SQL filter
/// <c>partnerIds LIKE '%,p1,%'</c> selects one partner) for subscription filters. Locally the type is
/// the routing key on the topic exchange.
/// </summary>
public sealed class CloudEventPublisher(ServiceBusSender sender, IOptions<ServiceBusOptions> options, TimeProvider timeProvider) : IEventPublisher
{
    /// <summary>Application property with the CloudEvents type.</summary>
    public const string TypeProperty = "type";

    /// <summary>Application property with the CloudEvents subject.</summary>
    public const string SubjectProperty = "subject";

    /// <summary>Application property with the partner ids, comma-delimited and comma-enclosed.</summary>
    public const string PartnerIdsProperty = "partnerIds";

    /// <summary>Builds the envelope; public so tests and other transports produce the identical document.</summary>
    public static CloudEvent CreateEnvelope<TData>(EventPublication<TData> publication, JsonTypeInfo<TData> dataType, string source, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(publication);
        ArgumentException.ThrowIfNullOrWhiteSpace(publication.Id);
        ArgumentException.ThrowIfNullOrWhiteSpace(publication.Subject);
        return new CloudEvent
        {
            Id = publication.Id,
            Source = source,
            Type = publication.Type.ToString(),
            Subject = publication.Subject,
            Time = publication.Time ?? now,
            PartnerIds = publication.PartnerIds.Count == 0 ? null : string.Join(',', publication.PartnerIds),
            Data = JsonSerializer.SerializeToElement(publication.Data, dataType),
        };
    }

    /// <summary>The Service Bus message carrying <paramref name="envelope"/>.</summary>
    public static ServiceBusMessage CreateMessage(CloudEvent envelope, IReadOnlyCollection<string> partnerIds)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        var properties = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            [TypeProperty] = envelope.Type,
            [SubjectProperty] = envelope.Subject,
        };
        if (partnerIds.Count > 0)
        {
            properties[PartnerIdsProperty] = string.Create(CultureInfo.InvariantCulture, $",{string.Join(',', partnerIds)},");
        }

        return new ServiceBusMessage(JsonSerializer.SerializeToUtf8Bytes(envelope, ServiceBusJsonContext.Default.CloudEvent))
        {
            MessageId = envelope.Id,
            Subject = envelope.Subject,
            ContentType = CloudEvent.StructuredContentType,
            ApplicationProperties = properties,
        };
    }

    /// <inheritdoc />
    public Task PublishAsync<TData>(EventPublication<TData> publication, JsonTypeInfo<TData> dataType, CancellationToken cancellationToken = default)
    {
        var settings = options.Value;
        var envelope = CreateEnvelope(publication, dataType, settings.EventSource, timeProvider.GetUtcNow());
        return sender.SendToTopicAsync(settings.EventsTopic, CreateMessage(envelope, publication.PartnerIds), cancellationToken);
    }
}
