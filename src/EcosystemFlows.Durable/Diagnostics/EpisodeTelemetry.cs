using System.Diagnostics;
using EcosystemFlows.Durable.History;
using EcosystemFlows.Durable.Ports;

namespace EcosystemFlows.Durable.Diagnostics;

/// <summary>
/// Telemetry of one episode. The <c>orchestration:{name}</c> span is a child of the context stored with the
/// execution's <see cref="ExecutionStartedEvent"/>, so every episode of an instance, in any process and after
/// any restart, continues the trace of whoever started it; what the episode schedules carries the span's
/// context on. Only new events produce telemetry (replayed history never does), and nothing is emitted
/// until the episode is committed: an episode lost to an ETag conflict runs again and reports once.
/// </summary>
internal sealed class EpisodeTelemetry
{
    private readonly List<TimerCreatedEvent> _timers = [];
    private Activity? _span;
    private ActivityContext _parent;
    private bool _continued;
    private bool _started;
    private (OrchestrationRuntimeStatus Status, TaskFailureDetails? Failure)? _finished;

    /// <summary>The context to hand on to scheduled work: the episode's span, else (not sampled here) the execution's parent.</summary>
    public DistributedTraceContext? Context { get; private set; }

    /// <summary>Notes the stored state the episode starts from (a pending ContinueAsNew does not count as a new start).</summary>
    public void Load(InstanceState? state) => _continued = state?.Status == OrchestrationRuntimeStatus.ContinuedAsNew;

    /// <summary>
    /// Starts (once per episode) the episode span before the orchestrator runs over <paramref name="history"/>
    /// (the stored history followed by <paramref name="newEvents"/>), linked to the senders of the new events.
    /// </summary>
    public void Begin(InstanceState state, IReadOnlyList<HistoryEvent> history, IReadOnlyList<HistoryEvent> newEvents)
    {
        _started |= !_continued && newEvents.Any(e => e is ExecutionStartedEvent);
        foreach (var fired in newEvents.OfType<TimerFiredEvent>())
        {
            if (history.OfType<TimerCreatedEvent>().FirstOrDefault(e => e.EventId == fired.TimerId) is { } created)
            {
                _timers.Add(created);
            }
        }

        if (_span is not null)
        {
            return;
        }

        var start = history.Take(2).OfType<ExecutionStartedEvent>().FirstOrDefault();
        Context = start?.ParentTraceContext;
        _parent = Context?.ToActivityContext() ?? default;
        var links = newEvents.OfType<EventRaisedEvent>()
            .Select(e => e.ParentTraceContext?.ToActivityContext() ?? default)
            .Where(c => c != default)
            .Select(c => new ActivityLink(c))
            .ToList();

        // Not the ambient span: the commit and sends that follow belong to the worker, and the span ends only
        // once the episode is committed (or never, when the commit is lost and the episode runs again).
        var previous = Activity.Current;
        _span = DurableTelemetry.Source.StartActivity($"orchestration:{state.Name}", ActivityKind.Server, _parent, links: links);
        Activity.Current = previous;
        _span?.SetTag(DurableTelemetry.TypeTag, "orchestration");
        _span?.SetTag(DurableTelemetry.NameTag, state.Name);
        _span?.SetTag(DurableTelemetry.VersionTag, state.Version);
        _span?.SetTag(DurableTelemetry.InstanceIdTag, state.InstanceId);
        _span?.SetTag(DurableTelemetry.ExecutionIdTag, state.ExecutionId);
        Context = DistributedTraceContext.Capture(_span) ?? Context;
    }

    /// <summary>Notes how the execution ended in this episode.</summary>
    public void Finished(OrchestrationRuntimeStatus status, TaskFailureDetails? failure) => _finished = (status, failure);

    /// <summary>
    /// The episode was committed as <paramref name="state"/>: end its span, report the timers it saw fire (from
    /// creation to the commit, on the clock of the history) and count starts and ends.
    /// </summary>
    public void Committed(InstanceState state)
    {
        var now = DateTime.SpecifyKind(state.LastUpdatedTime, DateTimeKind.Utc);
        foreach (var created in _timers)
        {
            using var timer = DurableTelemetry.Source.StartActivity(
                $"orchestration:{state.Name}:timer", ActivityKind.Internal, _parent, startTime: new DateTimeOffset(DateTime.SpecifyKind(created.Timestamp, DateTimeKind.Utc)));
            timer?.SetTag(DurableTelemetry.TypeTag, "timer");
            timer?.SetTag(DurableTelemetry.InstanceIdTag, state.InstanceId);
            timer?.SetTag(DurableTelemetry.TaskIdTag, created.EventId);
            timer?.SetTag(DurableTelemetry.FireAtTag, created.FireAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
            timer?.SetEndTime(now);
        }

        if (_started)
        {
            DurableTelemetry.CountStarted(state.Name);
        }

        if (_finished is { } finished)
        {
            DurableTelemetry.CountFinished(state.Name, finished.Status);
        }

        if (_span is { } span)
        {
            span.SetTag(DurableTelemetry.StatusTag, state.Status.ToString());
            if (_finished is { Status: OrchestrationRuntimeStatus.Failed, Failure: var failure })
            {
                span.SetStatus(ActivityStatusCode.Error, failure is null ? "failed" : $"{failure.ErrorType}: {failure.ErrorMessage}");
            }

            span.Stop();
        }
    }
}
