using System.Diagnostics;
using System.Diagnostics.Metrics;
using EcosystemFlows.Durable.History;
using EcosystemFlows.Durable.Ports;

namespace EcosystemFlows.Durable.Diagnostics;

/// <summary>
/// Names of the runtime's OpenTelemetry signals. Spans follow the Durable Task distributed-tracing
/// specification (<c>create_orchestration:{name}</c>, <c>orchestration:{name}</c>, <c>activity:{name}</c>,
/// <c>orchestration:{name}:timer</c>, <c>orchestration_event:{name}</c>, attributes <c>durabletask.*</c>);
/// metrics follow OpenTelemetry naming (<c>ecosystemflows.*</c>, UCUM units).
/// </summary>
public static class DurableTelemetry
{
    /// <summary>Name of the <see cref="ActivitySource"/> and <see cref="Meter"/> of the runtime.</summary>
    public const string SourceName = "EcosystemFlows.Durable";

    /// <summary>Counter: executions started by a client or a parent (a ContinueAsNew continues one, it does not start one).</summary>
    public const string OrchestrationsStarted = "ecosystemflows.orchestrations.started";

    /// <summary>Counter: executions that completed successfully.</summary>
    public const string OrchestrationsCompleted = "ecosystemflows.orchestrations.completed";

    /// <summary>Counter: executions that failed.</summary>
    public const string OrchestrationsFailed = "ecosystemflows.orchestrations.failed";

    /// <summary>Counter: executions that were terminated.</summary>
    public const string OrchestrationsTerminated = "ecosystemflows.orchestrations.terminated";

    /// <summary>Histogram (s): run time of one activity execution.</summary>
    public const string ActivityDuration = "ecosystemflows.activity.duration";

    /// <summary>Histogram (s): time a control or work-item message waited in its queue after it became visible.</summary>
    public const string QueueWait = "ecosystemflows.queue.wait";

    /// <summary>Tag: orchestration or activity name.</summary>
    public const string NameTag = "durabletask.task.name";

    /// <summary>Tag: outcome of an activity (<c>Succeeded</c>, <c>Failed</c>).</summary>
    public const string ResultTag = "durabletask.task.result";

    /// <summary>Tag: <c>control</c> or <c>workitem</c>.</summary>
    public const string QueueTag = "durabletask.queue";

    internal const string TypeTag = "durabletask.type";
    internal const string VersionTag = "durabletask.task.version";
    internal const string InstanceIdTag = "durabletask.task.instance_id";
    internal const string ExecutionIdTag = "durabletask.task.execution_id";
    internal const string TaskIdTag = "durabletask.task.task_id";
    internal const string StatusTag = "durabletask.task.status";
    internal const string FireAtTag = "durabletask.fire_at";
    internal const string EventNameTag = "durabletask.event.name";
    internal const string EventTargetTag = "durabletask.event.target_instance_id";

    internal static readonly ActivitySource Source = new(SourceName);

    private static readonly Meter Meter = new(SourceName);
    private static readonly Counter<long> Started = Meter.CreateCounter<long>(OrchestrationsStarted, "{orchestration}", "Orchestration executions started by a client or a parent.");
    private static readonly Counter<long> Completed = Meter.CreateCounter<long>(OrchestrationsCompleted, "{orchestration}", "Orchestration executions completed.");
    private static readonly Counter<long> Failed = Meter.CreateCounter<long>(OrchestrationsFailed, "{orchestration}", "Orchestration executions failed.");
    private static readonly Counter<long> Terminated = Meter.CreateCounter<long>(OrchestrationsTerminated, "{orchestration}", "Orchestration executions terminated.");
    private static readonly Histogram<double> ActivitySeconds = Meter.CreateHistogram<double>(ActivityDuration, "s", "Run time of an activity execution.");
    private static readonly Histogram<double> QueueSeconds = Meter.CreateHistogram<double>(QueueWait, "s", "Time a message waited in its queue after it became visible.");

    /// <summary>The client span around scheduling an orchestration; its context becomes the execution's parent.</summary>
    internal static Activity? StartCreateOrchestration(string name, string version, string instanceId, string executionId)
    {
        var span = Source.StartActivity($"create_orchestration:{name}", ActivityKind.Producer);
        span?.SetTag(TypeTag, "orchestration");
        span?.SetTag(NameTag, name);
        span?.SetTag(VersionTag, version);
        span?.SetTag(InstanceIdTag, instanceId);
        span?.SetTag(ExecutionIdTag, executionId);
        return span;
    }

    /// <summary>The client span around raising an event; the episode applying the event links to it.</summary>
    internal static Activity? StartRaiseEvent(string instanceId, string eventName)
    {
        var span = Source.StartActivity($"orchestration_event:{eventName}", ActivityKind.Producer);
        span?.SetTag(TypeTag, "event");
        span?.SetTag(EventNameTag, eventName);
        span?.SetTag(EventTargetTag, instanceId);
        return span;
    }

    /// <summary>The span of one activity execution, a child of the episode that scheduled it.</summary>
    internal static Activity? StartActivityExecution(TaskMessage message, TaskScheduledEvent scheduled)
    {
        var span = Source.StartActivity(
            $"activity:{scheduled.Name}", ActivityKind.Server, scheduled.ParentTraceContext?.ToActivityContext() ?? default);
        span?.SetTag(TypeTag, "activity");
        span?.SetTag(NameTag, scheduled.Name);
        span?.SetTag(InstanceIdTag, message.InstanceId);
        span?.SetTag(ExecutionIdTag, message.ExecutionId);
        span?.SetTag(TaskIdTag, scheduled.EventId);
        return span;
    }

    /// <summary>Ends an activity execution: result on the span (Error status on failure) and its duration.</summary>
    internal static void ActivityFinished(Activity? span, string name, HistoryEvent result, TimeSpan elapsed)
    {
        var outcome = result is TaskFailedEvent ? "Failed" : "Succeeded";
        span?.SetTag(ResultTag, outcome);
        if (result is TaskFailedEvent failed)
        {
            span?.SetStatus(ActivityStatusCode.Error, $"{failed.FailureDetails.ErrorType}: {failed.FailureDetails.ErrorMessage}");
        }

        ActivitySeconds.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>(NameTag, name), new KeyValuePair<string, object?>(ResultTag, outcome));
    }

    /// <summary>The message as sent now: stamped with the time it becomes available to receivers.</summary>
    internal static TaskMessage Stamp(TaskMessage message, DateTimeOffset? visibleAt, TimeProvider timeProvider)
    {
        var now = timeProvider.GetUtcNow();
        return message with { EnqueuedAt = visibleAt is { } at && at > now ? at : now };
    }

    /// <summary>Records how long a received message waited since it became available.</summary>
    internal static void Received(MessageLease lease, TimeProvider timeProvider)
    {
        if (lease.Message.EnqueuedAt is { } enqueuedAt)
        {
            var wait = timeProvider.GetUtcNow() - enqueuedAt;
            QueueSeconds.Record(
                Math.Max(0, wait.TotalSeconds),
                new KeyValuePair<string, object?>(QueueTag, lease.Queue == DispatchQueue.Control ? "control" : "workitem"));
        }
    }

    internal static void CountStarted(string name) => Started.Add(1, new KeyValuePair<string, object?>(NameTag, name));

    internal static void CountFinished(string name, OrchestrationRuntimeStatus status)
    {
        var counter = status switch
        {
            OrchestrationRuntimeStatus.Completed => Completed,
            OrchestrationRuntimeStatus.Failed => Failed,
            OrchestrationRuntimeStatus.Terminated => Terminated,
            _ => null,
        };
        counter?.Add(1, new KeyValuePair<string, object?>(NameTag, name));
    }
}
