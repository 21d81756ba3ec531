using EcosystemFlows.Durable.History;

namespace EcosystemFlows.Durable.Engine;

/// <summary>Something the orchestrator asked for during an episode; recorded as a scheduling history event.</summary>
internal abstract record OrchestratorAction(int Id)
{
    /// <summary>The history event recording this action.</summary>
    public abstract HistoryEvent ToHistoryEvent(DateTime timestamp);
}

/// <summary>Call an activity.</summary>
internal sealed record ScheduleTaskAction(int Id, string Name, string? Input) : OrchestratorAction(Id)
{
    public override HistoryEvent ToHistoryEvent(DateTime timestamp) => new TaskScheduledEvent(Id, timestamp, Name, Input);

    public override string ToString() => $"TaskScheduled '{Name}' (task #{Id})";
}

/// <summary>Create a durable timer.</summary>
internal sealed record CreateTimerAction(int Id, DateTime FireAt) : OrchestratorAction(Id)
{
    public override HistoryEvent ToHistoryEvent(DateTime timestamp) => new TimerCreatedEvent(Id, timestamp, FireAt);

    public override string ToString() => $"TimerCreated (task #{Id})";
}

/// <summary>Start a sub-orchestration.</summary>
internal sealed record CreateSubOrchestrationAction(int Id, string Name, string Version, string InstanceId, string? Input) : OrchestratorAction(Id)
{
    public override HistoryEvent ToHistoryEvent(DateTime timestamp) =>
        new SubOrchestrationInstanceCreatedEvent(Id, timestamp, Name, Version, InstanceId, Input);

    public override string ToString() => $"SubOrchestrationInstanceCreated '{Name}' (task #{Id})";
}

/// <summary>How an execution ended within an episode.</summary>
/// <param name="Status">Completed, Failed or ContinuedAsNew.</param>
/// <param name="Output">Serialized output (Completed) or new input (ContinuedAsNew).</param>
/// <param name="FailureDetails">Failure details (Failed).</param>
/// <param name="CarryOverEvents">External events not yet awaited, kept by ContinueAsNew.</param>
internal sealed record OrchestrationCompletion(
    OrchestrationRuntimeStatus Status,
    string? Output,
    TaskFailureDetails? FailureDetails,
    IReadOnlyList<EventRaisedEvent> CarryOverEvents);

/// <summary>Outcome of running an orchestrator over its history plus new events.</summary>
/// <param name="NewActions">Actions not yet recorded in history, in emission order.</param>
/// <param name="Completion">Set when the execution ended.</param>
/// <param name="CustomStatus">Serialized custom status after the episode.</param>
internal sealed record ExecutionResult(IReadOnlyList<OrchestratorAction> NewActions, OrchestrationCompletion? Completion, string? CustomStatus);
