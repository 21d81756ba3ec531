using EcosystemFlows.Durable.History;

namespace EcosystemFlows.Durable.Ports;

/// <summary>
/// Everything the runtime persists about one orchestration instance: one document per instance
/// (partition key = <see cref="InstanceId"/>). Replacing it with an ETag check is the single commit
/// point of an episode: history, status, outbox and processed message ids change together.
/// </summary>
public sealed record InstanceState
{
    /// <summary>Document schema version, bumped on incompatible changes.</summary>
    public int SchemaVersion { get; init; } = 1;

    /// <summary>Instance id (caller-chosen or generated).</summary>
    public required string InstanceId { get; init; }

    /// <summary>Current execution id; changes on ContinueAsNew and on restart.</summary>
    public required string ExecutionId { get; init; }

    /// <summary>Orchestrator name.</summary>
    public required string Name { get; init; }

    /// <summary>Orchestration version of the current execution.</summary>
    public required string Version { get; init; }

    /// <summary>Runtime status.</summary>
    public OrchestrationRuntimeStatus Status { get; init; }

    /// <summary>Serialized input of the current execution.</summary>
    public string? Input { get; init; }

    /// <summary>Serialized output (or termination reason) once terminal.</summary>
    public string? Output { get; init; }

    /// <summary>Serialized custom status.</summary>
    public string? CustomStatus { get; init; }

    /// <summary>Failure details when <see cref="Status"/> is Failed.</summary>
    public TaskFailureDetails? FailureDetails { get; init; }

    /// <summary>Creation time (UTC) of the current execution.</summary>
    public DateTime CreatedTime { get; init; }

    /// <summary>Last commit time (UTC).</summary>
    public DateTime LastUpdatedTime { get; init; }

    /// <summary>Parent of a sub-orchestration, if any.</summary>
    public ParentInstance? Parent { get; init; }

    /// <summary>History of the current execution (cleared by ContinueAsNew).</summary>
    public IReadOnlyList<HistoryEvent> History { get; init; } = [];

    /// <summary>Events received but not yet applied: before the execution started or while suspended.</summary>
    public IReadOnlyList<HistoryEvent> Inbox { get; init; } = [];

    /// <summary>Messages produced by the last commit and possibly not yet sent (outbox pattern).</summary>
    public IReadOnlyList<OutboxMessage> Outbox { get; init; } = [];

    /// <summary>Ids of the most recent messages applied, so a redelivered message is recognised (bounded).</summary>
    public IReadOnlyList<string> ProcessedMessageIds { get; init; } = [];

    /// <summary>This state without history, inbox, outbox and processed ids: what status reads return.</summary>
    public InstanceState WithoutBulk() => this with { History = [], Inbox = [], Outbox = [], ProcessedMessageIds = [] };
}

/// <summary>A message to send after the commit that recorded it.</summary>
/// <param name="Queue">Destination queue.</param>
/// <param name="Message">The message.</param>
/// <param name="VisibleAt">When the message may be received (timers), or null for now.</param>
public sealed record OutboxMessage(DispatchQueue Queue, TaskMessage Message, DateTimeOffset? VisibleAt);
