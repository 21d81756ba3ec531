using System.Text.Json.Serialization;

namespace EcosystemFlows.Durable.History;

/// <summary>
/// One entry of an orchestration's event-sourced history (as in Durable Task). Scheduling events
/// (<see cref="TaskScheduledEvent"/>, <see cref="TimerCreatedEvent"/>,
/// <see cref="SubOrchestrationInstanceCreatedEvent"/>) use the task's sequence number as
/// <see cref="EventId"/>; results refer to it; every other event has <see cref="EventId"/> -1.
/// Payloads are strings produced by the <see cref="DataConverter"/>.
/// </summary>
/// <param name="EventId">Task sequence number for scheduling events, otherwise -1.</param>
/// <param name="Timestamp">UTC time the event was recorded.</param>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "eventType")]
[JsonDerivedType(typeof(ExecutionStartedEvent), "ExecutionStarted")]
[JsonDerivedType(typeof(OrchestratorStartedEvent), "OrchestratorStarted")]
[JsonDerivedType(typeof(TaskScheduledEvent), "TaskScheduled")]
[JsonDerivedType(typeof(TaskCompletedEvent), "TaskCompleted")]
[JsonDerivedType(typeof(TaskFailedEvent), "TaskFailed")]
[JsonDerivedType(typeof(TimerCreatedEvent), "TimerCreated")]
[JsonDerivedType(typeof(TimerFiredEvent), "TimerFired")]
[JsonDerivedType(typeof(EventRaisedEvent), "EventRaised")]
[JsonDerivedType(typeof(SubOrchestrationInstanceCreatedEvent), "SubOrchestrationInstanceCreated")]
[JsonDerivedType(typeof(SubOrchestrationInstanceCompletedEvent), "SubOrchestrationInstanceCompleted")]
[JsonDerivedType(typeof(SubOrchestrationInstanceFailedEvent), "SubOrchestrationInstanceFailed")]
[JsonDerivedType(typeof(ExecutionSuspendedEvent), "ExecutionSuspended")]
[JsonDerivedType(typeof(ExecutionResumedEvent), "ExecutionResumed")]
[JsonDerivedType(typeof(ExecutionTerminatedEvent), "ExecutionTerminated")]
[JsonDerivedType(typeof(ContinueAsNewEvent), "ContinueAsNew")]
[JsonDerivedType(typeof(ExecutionCompletedEvent), "ExecutionCompleted")]
public abstract record HistoryEvent(int EventId, DateTime Timestamp);

/// <summary>Identifies the parent of a sub-orchestration, so its outcome can be reported back.</summary>
/// <param name="InstanceId">Parent instance id.</param>
/// <param name="ExecutionId">Parent execution id.</param>
/// <param name="TaskScheduledId">Sequence number of the call in the parent.</param>
public sealed record ParentInstance(string InstanceId, string ExecutionId, int TaskScheduledId);

/// <summary>An execution started (first event of every execution).</summary>
public sealed record ExecutionStartedEvent(int EventId, DateTime Timestamp, string Name, string Version, string? Input, string ExecutionId, ParentInstance? Parent)
    : HistoryEvent(EventId, Timestamp)
{
    /// <summary>Trace context of whoever started the execution (client, parent episode); every episode continues it.</summary>
    public DistributedTraceContext? ParentTraceContext { get; init; }
}

/// <summary>An episode started; its timestamp is the orchestrator's <c>CurrentUtcDateTime</c>.</summary>
public sealed record OrchestratorStartedEvent(int EventId, DateTime Timestamp) : HistoryEvent(EventId, Timestamp);

/// <summary>The orchestrator scheduled activity <paramref name="Name"/>.</summary>
public sealed record TaskScheduledEvent(int EventId, DateTime Timestamp, string Name, string? Input) : HistoryEvent(EventId, Timestamp)
{
    /// <summary>Trace context of the episode that scheduled the activity (set on the work item); its execution continues it.</summary>
    public DistributedTraceContext? ParentTraceContext { get; init; }
}

/// <summary>An activity completed.</summary>
public sealed record TaskCompletedEvent(int EventId, DateTime Timestamp, int TaskScheduledId, string? Result) : HistoryEvent(EventId, Timestamp);

/// <summary>An activity failed.</summary>
public sealed record TaskFailedEvent(int EventId, DateTime Timestamp, int TaskScheduledId, TaskFailureDetails FailureDetails) : HistoryEvent(EventId, Timestamp);

/// <summary>The orchestrator created a durable timer.</summary>
public sealed record TimerCreatedEvent(int EventId, DateTime Timestamp, DateTime FireAt) : HistoryEvent(EventId, Timestamp);

/// <summary>A durable timer fired.</summary>
public sealed record TimerFiredEvent(int EventId, DateTime Timestamp, int TimerId, DateTime FireAt) : HistoryEvent(EventId, Timestamp);

/// <summary>An external event arrived.</summary>
public sealed record EventRaisedEvent(int EventId, DateTime Timestamp, string Name, string? Input) : HistoryEvent(EventId, Timestamp)
{
    /// <summary>Trace context of the sender; the episode that applies the event links to it.</summary>
    public DistributedTraceContext? ParentTraceContext { get; init; }
}

/// <summary>The orchestrator started a sub-orchestration.</summary>
public sealed record SubOrchestrationInstanceCreatedEvent(int EventId, DateTime Timestamp, string Name, string Version, string InstanceId, string? Input)
    : HistoryEvent(EventId, Timestamp);

/// <summary>A sub-orchestration completed.</summary>
public sealed record SubOrchestrationInstanceCompletedEvent(int EventId, DateTime Timestamp, int TaskScheduledId, string? Result)
    : HistoryEvent(EventId, Timestamp);

/// <summary>A sub-orchestration failed or was terminated.</summary>
public sealed record SubOrchestrationInstanceFailedEvent(int EventId, DateTime Timestamp, int TaskScheduledId, TaskFailureDetails FailureDetails)
    : HistoryEvent(EventId, Timestamp);

/// <summary>A client suspended the instance.</summary>
public sealed record ExecutionSuspendedEvent(int EventId, DateTime Timestamp, string? Reason) : HistoryEvent(EventId, Timestamp);

/// <summary>A client resumed the instance.</summary>
public sealed record ExecutionResumedEvent(int EventId, DateTime Timestamp, string? Reason) : HistoryEvent(EventId, Timestamp);

/// <summary>A client terminated the instance.</summary>
public sealed record ExecutionTerminatedEvent(int EventId, DateTime Timestamp, string? Reason) : HistoryEvent(EventId, Timestamp);

/// <summary>The execution ended by continuing as new with <paramref name="Input"/>.</summary>
public sealed record ContinueAsNewEvent(int EventId, DateTime Timestamp, string? Input) : HistoryEvent(EventId, Timestamp);

/// <summary>The execution ended (Completed, Failed or Terminated).</summary>
public sealed record ExecutionCompletedEvent(int EventId, DateTime Timestamp, OrchestrationRuntimeStatus Status, string? Result, TaskFailureDetails? FailureDetails)
    : HistoryEvent(EventId, Timestamp);
