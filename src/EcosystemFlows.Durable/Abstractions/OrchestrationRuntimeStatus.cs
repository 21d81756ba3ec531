namespace EcosystemFlows.Durable;

/// <summary>Runtime status of an orchestration instance (same names and values as Durable Task).</summary>
public enum OrchestrationRuntimeStatus
{
    /// <summary>The orchestrator is running or waiting for work.</summary>
    Running = 0,

    /// <summary>The orchestrator returned successfully.</summary>
    Completed = 1,

    /// <summary>The orchestrator continued as a new execution.</summary>
    ContinuedAsNew = 2,

    /// <summary>The orchestrator failed with an unhandled exception or a runtime error.</summary>
    Failed = 3,

    /// <summary>Reserved (Durable Task does not use it either).</summary>
    Canceled = 4,

    /// <summary>The instance was terminated by a client.</summary>
    Terminated = 5,

    /// <summary>The instance was scheduled but has not started yet.</summary>
    Pending = 6,

    /// <summary>The instance was suspended by a client; messages are buffered until it is resumed.</summary>
    Suspended = 7,
}

/// <summary>Helpers for <see cref="OrchestrationRuntimeStatus"/>.</summary>
public static class OrchestrationRuntimeStatusExtensions
{
    /// <summary>True for Completed, Failed, Terminated and Canceled: no further execution will happen.</summary>
    public static bool IsTerminal(this OrchestrationRuntimeStatus status) => status is
        OrchestrationRuntimeStatus.Completed or OrchestrationRuntimeStatus.Failed or
        OrchestrationRuntimeStatus.Terminated or OrchestrationRuntimeStatus.Canceled;
}
