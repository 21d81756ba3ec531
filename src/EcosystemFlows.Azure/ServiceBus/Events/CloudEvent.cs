using System.Text.Json;
using System.Text.Json.Serialization;

namespace EcosystemFlows.Azure.ServiceBus.Events;

/// <summary>
/// A CloudEvents 1.0 event in structured JSON mode (<c>application/cloudevents+json</c>): the context
/// attributes and the JSON <c>data</c> in one document.
/// </summary>
public sealed record CloudEvent
{
    /// <summary>Media type of a structured-mode JSON CloudEvent.</summary>
    public const string StructuredContentType = "application/cloudevents+json";

    /// <summary>Always <c>1.0</c>.</summary>
    [JsonPropertyName("specversion")]
    public string SpecVersion { get; init; } = "1.0";

    /// <summary>Unique per source; stable for one state transition, so consumers de-duplicate by it.</summary>
    [JsonPropertyName("id")]
    public required string Id { get; init; }

    /// <summary>Who produced it (a URI reference).</summary>
    [JsonPropertyName("source")]
    public required string Source { get; init; }

    /// <summary><c>com.ecosystemflows.&lt;entity&gt;.&lt;event&gt;</c>.</summary>
    [JsonPropertyName("type")]
    public required string Type { get; init; }

    /// <summary>The offering id the event is about.</summary>
    [JsonPropertyName("subject")]
    public string? Subject { get; init; }

    /// <summary>When the transition happened.</summary>
    [JsonPropertyName("time")]
    public DateTimeOffset? Time { get; init; }

    /// <summary>Media type of <see cref="Data"/>.</summary>
    [JsonPropertyName("datacontenttype")]
    public string? DataContentType { get; init; } = "application/json";

    /// <summary>Extension attribute: the partner ids involved, comma-separated.</summary>
    [JsonPropertyName("partnerids")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? PartnerIds { get; init; }

    /// <summary>The event's payload.</summary>
    [JsonPropertyName("data")]
    public JsonElement Data { get; init; }
}

/// <summary>The CloudEvents <c>type</c> of a workflow event: <c>com.ecosystemflows.&lt;entity&gt;.&lt;event&gt;</c>.</summary>
/// <param name="Entity">Lower-case entity, e.g. <c>offering</c>.</param>
/// <param name="Event">Lower-case past-tense event, e.g. <c>started</c>.</param>
public readonly record struct CloudEventType(string Entity, string Event)
{
    /// <summary>The full type string.</summary>
    public override string ToString() => $"com.ecosystemflows.{Entity}.{Event}";
}

/// <summary>Source-generated JSON metadata for the Service Bus adapter's own documents.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CloudEvent))]
public sealed partial class ServiceBusJsonContext : JsonSerializerContext;
