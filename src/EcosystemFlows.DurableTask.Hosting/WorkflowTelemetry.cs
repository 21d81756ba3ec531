using System.Diagnostics.Metrics;
using DurableTask.Core;
using DurableTask.Core.Command;
using DurableTask.Core.History;
using DurableTask.Core.Middleware;

namespace EcosystemFlows.DurableTask.Hosting;

/// <summary>
/// The <c>ecosystemflows.*</c> workflow metrics, measured in the Durable Task Framework's dispatch pipeline.
/// Spans come from the framework itself (ActivitySource <c>DurableTask.Core</c>): the client's
/// <c>create_orchestration</c>, one <c>orchestration</c> span per execution, <c>activity</c> spans, with the W3C
/// context carried in the history, so a request stays one trace through queues, restarts and replays.
/// </summary>
public static class WorkflowTelemetry
{
    /// <summary>Name of the <see cref="Meter"/>.</summary>
    public const string MeterName = "EcosystemFlows.DurableTask";

    /// <summary>Counter: orchestration executions started by a client or a parent.</summary>
    public const string OrchestrationsStarted = "ecosystemflows.orchestrations.started";

    /// <summary>Counter: orchestration executions completed.</summary>
    public const string OrchestrationsCompleted = "ecosystemflows.orchestrations.completed";

    /// <summary>Counter: orchestration executions failed.</summary>
    public const string OrchestrationsFailed = "ecosystemflows.orchestrations.failed";

    /// <summary>Counter: orchestration executions terminated.</summary>
    public const string OrchestrationsTerminated = "ecosystemflows.orchestrations.terminated";

    /// <summary>Histogram (s): run time of an activity execution.</summary>
    public const string ActivityDuration = "ecosystemflows.activity.duration";

    /// <summary>Histogram (s): time a message waited between being sent (or its timer due) and being processed.</summary>
    public const string QueueWait = "ecosystemflows.queue.wait";

    /// <summary>Tag: orchestration or activity name.</summary>
    public const string NameTag = "durabletask.task.name";

    /// <summary>Tag: outcome of an activity (<c>Succeeded</c>, <c>Failed</c>).</summary>
    public const string ResultTag = "durabletask.task.result";

    /// <summary>Tag: <c>control</c> (orchestration messages) or <c>workitem</c> (activities).</summary>
    public const string QueueTag = "durabletask.queue";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> Started = Meter.CreateCounter<long>(OrchestrationsStarted, "{orchestration}", "Orchestration executions started by a client or a parent.");
    private static readonly Counter<long> Completed = Meter.CreateCounter<long>(OrchestrationsCompleted, "{orchestration}", "Orchestration executions completed.");
    private static readonly Counter<long> Failed = Meter.CreateCounter<long>(OrchestrationsFailed, "{orchestration}", "Orchestration executions failed.");
    private static readonly Counter<long> Terminated = Meter.CreateCounter<long>(OrchestrationsTerminated, "{orchestration}", "Orchestration executions terminated.");
    private static readonly Histogram<double> ActivitySeconds = Meter.CreateHistogram<double>(ActivityDuration, "s", "Run time of an activity execution.");
    private static readonly Histogram<double> QueueSeconds = Meter.CreateHistogram<double>(QueueWait, "s", "Time a message waited between being sent and being processed.");

    /// <summary>Adds the measuring middleware to <paramref name="worker"/>.</summary>
    public static void AddTo(TaskHubWorker worker)
    {
        ArgumentNullException.ThrowIfNull(worker);
        worker.AddOrchestrationDispatcherMiddleware(MeasureEpisodeAsync);
        worker.AddActivityDispatcherMiddleware(MeasureActivityAsync);
    }

    private static async Task MeasureEpisodeAsync(DispatchMiddlewareContext context, Func<Task> next)
    {
        var workItem = context.GetProperty<TaskOrchestrationWorkItem>();
        var name = workItem?.OrchestrationRuntimeState?.Name ?? "";
        var tag = new KeyValuePair<string, object?>(NameTag, name);
        var now = DateTime.UtcNow;
        foreach (var message in workItem?.NewMessages ?? [])
        {
            var sentOrDue = message.Event is TimerFiredEvent fired ? fired.FireAt : message.Event.Timestamp;
            QueueSeconds.Record(Math.Max(0, (now - sentOrDue).TotalSeconds), new KeyValuePair<string, object?>(QueueTag, "control"));
            switch (message.Event)
            {
                case ExecutionStartedEvent:
                    Started.Add(1, tag);
                    break;
                case ExecutionTerminatedEvent:
                    Terminated.Add(1, tag);
                    break;
            }
        }

        await next().ConfigureAwait(false);

        var completion = context.GetProperty<OrchestratorExecutionResult>()?.Actions?.OfType<OrchestrationCompleteOrchestratorAction>().FirstOrDefault();
        var counter = completion?.OrchestrationStatus switch
        {
            OrchestrationStatus.Completed => Completed,
            OrchestrationStatus.Failed => Failed,
            _ => null,
        };
        counter?.Add(1, tag);
    }

    private static async Task MeasureActivityAsync(DispatchMiddlewareContext context, Func<Task> next)
    {
        var scheduled = context.GetProperty<TaskScheduledEvent>();
        var name = scheduled?.Name ?? "";
        if (scheduled is not null)
        {
            QueueSeconds.Record(Math.Max(0, (DateTime.UtcNow - scheduled.Timestamp).TotalSeconds), new KeyValuePair<string, object?>(QueueTag, "workitem"));
        }

        var started = TimeProvider.System.GetTimestamp();
        var outcome = "Failed";
        try
        {
            await next().ConfigureAwait(false);
            outcome = context.GetProperty<ActivityExecutionResult>()?.ResponseEvent is TaskFailedEvent ? "Failed" : "Succeeded";
        }
        finally
        {
            ActivitySeconds.Record(
                TimeProvider.System.GetElapsedTime(started).TotalSeconds,
                new KeyValuePair<string, object?>(NameTag, name),
                new KeyValuePair<string, object?>(ResultTag, outcome));
        }
    }
}
