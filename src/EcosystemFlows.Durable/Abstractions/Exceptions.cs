namespace EcosystemFlows.Durable;

/// <summary>
/// Thrown inside an orchestrator when an awaited activity or sub-orchestration failed.
/// <see cref="FailureDetails"/> carries the remote error type, message, stack trace and inner failures.
/// </summary>
public sealed class TaskFailedException : Exception
{
    /// <summary>Creates the exception for task <paramref name="taskName"/> with id <paramref name="taskId"/>.</summary>
    public TaskFailedException(string taskName, int taskId, TaskFailureDetails failureDetails)
        : base($"Task '{taskName}' (#{taskId}) failed with an unhandled exception: {failureDetails?.ErrorMessage}")
    {
        ArgumentNullException.ThrowIfNull(failureDetails);
        TaskName = taskName;
        TaskId = taskId;
        FailureDetails = failureDetails;
    }

    /// <summary>Name of the failed activity or sub-orchestration.</summary>
    public string TaskName { get; }

    /// <summary>Sequence number of the failed task within the orchestration.</summary>
    public int TaskId { get; }

    /// <summary>Details of the failure.</summary>
    public TaskFailureDetails FailureDetails { get; }
}

/// <summary>
/// The orchestrator's code no longer matches its recorded history (for example it now schedules a
/// different activity at the same step). The instance is failed with this error: silently
/// continuing could corrupt the workflow.
/// </summary>
public sealed class NonDeterministicOrchestrationException : Exception
{
    /// <summary>Creates the exception with a message naming the expected and actual action.</summary>
    public NonDeterministicOrchestrationException(string message)
        : base(message)
    {
    }
}

/// <summary>
/// Thrown by <see cref="DurableTaskClient.ScheduleNewOrchestrationInstanceAsync"/> when an instance with
/// the requested id exists and is not in a terminal state (Pending, Running or Suspended). Starting an
/// id whose instance is Completed, Failed or Terminated replaces it with a new execution.
/// </summary>
public sealed class OrchestrationAlreadyExistsException : InvalidOperationException
{
    /// <summary>Creates the exception for <paramref name="instanceId"/>.</summary>
    public OrchestrationAlreadyExistsException(string instanceId, OrchestrationRuntimeStatus status)
        : base($"An orchestration instance with id '{instanceId}' already exists and is {status}.")
    {
        InstanceId = instanceId;
        Status = status;
    }

    /// <summary>The id that is already in use.</summary>
    public string InstanceId { get; }

    /// <summary>Status of the existing instance.</summary>
    public OrchestrationRuntimeStatus Status { get; }
}

/// <summary>Thrown by client operations that target an instance which does not exist.</summary>
public sealed class OrchestrationNotFoundException : InvalidOperationException
{
    /// <summary>Creates the exception for <paramref name="instanceId"/>.</summary>
    public OrchestrationNotFoundException(string instanceId)
        : base($"No orchestration instance with id '{instanceId}' was found.")
    {
        InstanceId = instanceId;
    }

    /// <summary>The id that was not found.</summary>
    public string InstanceId { get; }
}
