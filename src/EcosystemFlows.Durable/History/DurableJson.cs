using System.Text.Json;
using System.Text.Json.Serialization;

namespace EcosystemFlows.Durable.History;

/// <summary>
/// The JSON shape of persisted runtime data (instance documents, messages, recorded histories): web
/// defaults, enums as strings, history events tagged with <c>eventType</c>. Adapters (#4) must use it so
/// documents written by one backend or version read back in another.
/// </summary>
public static class DurableJson
{
    /// <summary>Serializer options for runtime documents.</summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
