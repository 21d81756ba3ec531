using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.DurableTask.Converters;

namespace EcosystemFlows.Functions.Workflows;

/// <summary>
/// One JSON contract for everything a workflow stores or shows: orchestration inputs, outputs, custom status,
/// events and activity payloads (camelCase, enums as names), the same as the HTTP API's.
/// </summary>
public static class WorkflowJson
{
    /// <summary>The serializer options of workflow payloads.</summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>The Durable Task data converter over <see cref="Options"/>, for the worker and the client.</summary>
    public static JsonDataConverter Converter { get; } = new(Options);
}
