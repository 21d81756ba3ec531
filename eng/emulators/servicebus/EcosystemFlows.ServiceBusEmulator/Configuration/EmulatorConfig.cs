using System.Text.Json;
using System.Xml;

namespace EcosystemFlows.ServiceBusEmulator.Configuration;

/// <summary>
/// The official Service Bus emulator's <c>Config.json</c> (UserConfig → Namespaces → Queues/Topics → Subscriptions →
/// Rules), read with the same property names so one file serves both emulators. Unknown properties are ignored.
/// </summary>
internal sealed class EmulatorConfig
{
    public UserConfigSection UserConfig { get; set; } = new();

    public static EmulatorConfig Load(string path)
    {
        using var stream = File.OpenRead(path);
        var config = JsonSerializer.Deserialize<EmulatorConfig>(stream, new JsonSerializerOptions
        {
            PropertyNameCaseInsensitive = true,
            ReadCommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
        }) ?? throw new InvalidDataException($"{path}: empty configuration");
        config.Validate(path);
        return config;
    }

    private void Validate(string path)
    {
        if (UserConfig.Namespaces.Count == 0)
        {
            throw new InvalidDataException($"{path}: UserConfig.Namespaces is empty");
        }

        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var ns in UserConfig.Namespaces)
        {
            foreach (var name in ns.Queues.Select(q => q.Name).Concat(ns.Topics.Select(t => t.Name)))
            {
                if (string.IsNullOrWhiteSpace(name) || !names.Add(name))
                {
                    throw new InvalidDataException($"{path}: entity name '{name}' is empty or defined twice");
                }
            }
        }
    }
}

internal sealed class UserConfigSection
{
    public List<NamespaceConfig> Namespaces { get; set; } = [];
}

internal sealed class NamespaceConfig
{
    public string Name { get; set; } = "sbemulatorns";

    public List<QueueConfig> Queues { get; set; } = [];

    public List<TopicConfig> Topics { get; set; } = [];
}

internal sealed class QueueConfig
{
    public string Name { get; set; } = "";

    public EntityProperties Properties { get; set; } = new();
}

internal sealed class TopicConfig
{
    public string Name { get; set; } = "";

    public EntityProperties Properties { get; set; } = new();

    public List<SubscriptionConfig> Subscriptions { get; set; } = [];
}

internal sealed class SubscriptionConfig
{
    public string Name { get; set; } = "";

    public EntityProperties Properties { get; set; } = new();

    public List<RuleConfig> Rules { get; set; } = [];
}

/// <summary>Queue, topic and subscription properties (each entity kind reads the ones that apply to it).</summary>
internal sealed class EntityProperties
{
    public bool DeadLetteringOnMessageExpiration { get; set; }

    public string? DefaultMessageTimeToLive { get; set; }

    public string? DuplicateDetectionHistoryTimeWindow { get; set; }

    public string? LockDuration { get; set; }

    public int MaxDeliveryCount { get; set; } = 10;

    public bool RequiresDuplicateDetection { get; set; }

    public bool RequiresSession { get; set; }

    public string? ForwardTo { get; set; }

    public string? ForwardDeadLetteredMessagesTo { get; set; }

    public TimeSpan LockDurationValue => Duration(LockDuration, TimeSpan.FromMinutes(1));

    public TimeSpan? DefaultTimeToLiveValue => string.IsNullOrWhiteSpace(DefaultMessageTimeToLive) ? null : Duration(DefaultMessageTimeToLive, TimeSpan.MaxValue);

    public TimeSpan DuplicateWindowValue => Duration(DuplicateDetectionHistoryTimeWindow, TimeSpan.FromMinutes(10));

    /// <summary>ISO 8601 durations as the official file writes them ("PT1M", "PT0.5S", "P14D").</summary>
    private static TimeSpan Duration(string? value, TimeSpan fallback) =>
        string.IsNullOrWhiteSpace(value) ? fallback : XmlConvert.ToTimeSpan(value);
}

internal sealed class RuleConfig
{
    public string Name { get; set; } = "";

    public RuleProperties Properties { get; set; } = new();
}

internal sealed class RuleProperties
{
    /// <summary>"Correlation" or "Sql".</summary>
    public string FilterType { get; set; } = "Sql";

    public CorrelationFilterConfig? CorrelationFilter { get; set; }

    public SqlFilterConfig? SqlFilter { get; set; }
}

internal sealed class CorrelationFilterConfig
{
    public string? ContentType { get; set; }

    public string? CorrelationId { get; set; }

    public string? Label { get; set; }

    public string? MessageId { get; set; }

    public string? ReplyTo { get; set; }

    public string? ReplyToSessionId { get; set; }

    public string? SessionId { get; set; }

    public string? To { get; set; }

    public Dictionary<string, JsonElement>? Properties { get; set; }
}

internal sealed class SqlFilterConfig
{
    public string SqlExpression { get; set; } = "1=1";
}
