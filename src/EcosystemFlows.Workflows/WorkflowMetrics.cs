using System.Diagnostics.Metrics;

namespace EcosystemFlows.Workflows;

/// <summary>
/// Business metrics of the workflows, on meter <see cref="MeterName"/>. Orchestrator code records them only
/// while not replaying, so each decision counts once however often its episode is replayed.
/// </summary>
public static class WorkflowMetrics
{
    /// <summary>Name of the workflows' <see cref="Meter"/>.</summary>
    public const string MeterName = "EcosystemFlows.Workflows";

    /// <summary>Histogram (s): time from a governance gate being opened to its decision, by orchestration time.</summary>
    public const string SignOffWait = "ecosystemflows.signoff.wait";

    /// <summary>Tag: the gate's kind (<c>Member</c>, <c>Sponsor</c>, <c>Legal</c>, ...).</summary>
    public const string GateKindTag = "ecosystemflows.gate.kind";

    /// <summary>Tag: <c>approved</c> or <c>rejected</c>.</summary>
    public const string DecisionTag = "ecosystemflows.signoff.decision";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Histogram<double> SignOffSeconds = Meter.CreateHistogram<double>(SignOffWait, "s", "Time from a governance gate being opened to its decision.");

    internal static void SignOffDecided(TimeSpan wait, string gateKind, bool approved) =>
        SignOffSeconds.Record(
            wait.TotalSeconds,
            new KeyValuePair<string, object?>(GateKindTag, gateKind),
            new KeyValuePair<string, object?>(DecisionTag, approved ? "approved" : "rejected"));
}
