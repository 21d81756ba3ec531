using System.Diagnostics;

namespace EcosystemFlows.Durable.History;

/// <summary>
/// A W3C trace context persisted with history events and messages, so a trace continues across the durable
/// boundary (queues, process restarts, replays) as Durable Task does with its <c>ParentTraceContext</c>.
/// </summary>
/// <param name="TraceParent">The <c>traceparent</c> value (<c>00-{trace id}-{span id}-{flags}</c>).</param>
/// <param name="TraceState">The <c>tracestate</c> value, if any.</param>
public sealed record DistributedTraceContext(string TraceParent, string? TraceState)
{
    /// <summary>The context of <paramref name="activity"/> (default: <see cref="Activity.Current"/>), or null without a W3C one.</summary>
    public static DistributedTraceContext? Capture(Activity? activity = null)
    {
        activity ??= Activity.Current;
        return activity is { IdFormat: ActivityIdFormat.W3C, Id: { } id } ? new DistributedTraceContext(id, activity.TraceStateString) : null;
    }

    /// <summary>The context as a remote parent for a new span, or default when it does not parse.</summary>
    public ActivityContext ToActivityContext() =>
        ActivityContext.TryParse(TraceParent, TraceState, isRemote: true, out var context) ? context : default;
}
