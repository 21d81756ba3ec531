using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using EcosystemFlows.Durable.Ports;

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

    /// <summary>
    /// Read-only options that deserialize an <see cref="InstanceState"/> document without its history, inbox,
    /// outbox and processed message ids: the reader skips those members instead of building them, which is
    /// most of the cost of a status read (clients poll status; histories reach hundreds of events).
    /// </summary>
    public static JsonSerializerOptions StatusOptions { get; } = new(Options)
    {
        TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { SkipBulkyInstanceMembers } },
    };

    private static void SkipBulkyInstanceMembers(JsonTypeInfo typeInfo)
    {
        if (typeInfo.Type != typeof(InstanceState))
        {
            return;
        }

        string[] bulky = [nameof(InstanceState.History), nameof(InstanceState.Inbox), nameof(InstanceState.Outbox), nameof(InstanceState.ProcessedMessageIds)];
        foreach (var property in typeInfo.Properties.Where(p => p.AttributeProvider is System.Reflection.MemberInfo member && bulky.Contains(member.Name)).ToList())
        {
            typeInfo.Properties.Remove(property);
        }
    }
}
