using DurableTask.Core.History;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace EcosystemFlows.DurableTask.Hosting;

/// <summary>
/// Reads the history the Azure Storage provider returns as JSON (one object per event, its kind in
/// <c>EventType</c>) back into the framework's <see cref="HistoryEvent"/> types, as the SDK's client returns them.
/// </summary>
internal static class HistoryJson
{
    // Each kind's class is named after it with an "Event" suffix (EventRaised → EventRaisedEvent).
    private static readonly Dictionary<EventType, Type> EventTypes = typeof(HistoryEvent).Assembly.GetExportedTypes()
        .Where(t => t.IsSubclassOf(typeof(HistoryEvent)) && !t.IsAbstract && t.Name.EndsWith("Event", StringComparison.Ordinal))
        .Select(t => (Type: t, Kind: Enum.TryParse<EventType>(t.Name[..^"Event".Length], out var kind) ? kind : (EventType?)null))
        .Where(t => t.Kind is not null)
        .ToDictionary(t => t.Kind!.Value, t => t.Type);

    public static List<HistoryEvent> Read(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return [];
        }

        var events = new List<HistoryEvent>();
        foreach (var item in JArray.Parse(json).OfType<JObject>())
        {
            var kind = item.GetValue(nameof(HistoryEvent.EventType), StringComparison.OrdinalIgnoreCase)?.ToObject<EventType>();
            if (kind is { } eventType && EventTypes.TryGetValue(eventType, out var type) && item.ToObject(type, Serializer) is HistoryEvent historyEvent)
            {
                events.Add(historyEvent);
            }
        }

        return events;
    }

    private static readonly JsonSerializer Serializer = JsonSerializer.Create(new JsonSerializerSettings { TypeNameHandling = TypeNameHandling.None });
}
