using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.DurableTask.Converters;

namespace EcosystemFlows.Workflows;

/// <summary>
/// The one JSON contract of the workflows, wherever their data is shown: the HTTP API, the artefacts
/// (<c>offering-sheet.json</c>) and what the durable runtime stores and the management API shows (inputs,
/// outputs, events, custom status). camelCase and enums as strings (<c>"role": "Lead"</c>, not <c>0</c>); reads
/// stay case-insensitive and still accept the enum numbers that histories written before this hold.
/// </summary>
public static class WorkflowJson
{
    /// <summary>The shared, read-only options.</summary>
    public static JsonSerializerOptions Options { get; } = Create();

    /// <summary>The Durable Task data converter over <see cref="Options"/>, for the worker and the client.</summary>
    public static JsonDataConverter Converter { get; } = new(Options);

    /// <summary>Applies the contract to options created elsewhere (ASP.NET Core's HTTP JSON options).</summary>
    public static void Configure(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.PropertyNameCaseInsensitive = true;
        options.NumberHandling = JsonNumberHandling.AllowReadingFromString;
        if (!options.Converters.Any(c => c is JsonStringEnumConverter))
        {
            options.Converters.Add(new JsonStringEnumConverter());
        }
    }

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web) { TypeInfoResolver = new DefaultJsonTypeInfoResolver() };
        Configure(options);
        options.MakeReadOnly();
        return options;
    }
}
