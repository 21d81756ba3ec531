using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using EcosystemFlows.Durable.Diagnostics;

namespace EcosystemFlows.Durable.Tests.Diagnostics;

/// <summary>
/// Records every span of the runtime and of the test sources, and every measurement of the runtime's meter.
/// Listeners are process-wide, so tests running in parallel are captured too: assertions select by trace id
/// or by the tags of names only these tests use.
/// </summary>
internal sealed class TelemetryCapture : IDisposable
{
    private const string CallerName = "EcosystemFlows.Tests.Caller";

    public static readonly ActivitySource Caller = new(CallerName);

    private readonly ActivityListener _spans;
    private readonly MeterListener _meters;

    public TelemetryCapture()
    {
        _spans = new ActivityListener
        {
            ShouldListenTo = source => source.Name is DurableTelemetry.SourceName or CallerName or TracedStep.LibraryName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = Spans.Enqueue,
        };
        ActivitySource.AddActivityListener(_spans);

        _meters = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == DurableTelemetry.SourceName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        _meters.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Measurements.Enqueue(new Measurement(instrument.Name, value, tags.ToArray())));
        _meters.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Measurements.Enqueue(new Measurement(instrument.Name, value, tags.ToArray())));
        _meters.Start();
    }

    public ConcurrentQueue<Activity> Spans { get; } = new();

    public ConcurrentQueue<Measurement> Measurements { get; } = new();

    public List<Activity> InTrace(ActivityTraceId traceId) => [.. Spans.Where(s => s.TraceId == traceId)];

    /// <summary>Sum of a counter's measurements for one orchestration or activity name.</summary>
    public double Total(string instrument, string name) =>
        Measurements.Where(m => m.Instrument == instrument && m.Tag(DurableTelemetry.NameTag) == name).Sum(m => m.Value);

    public void Dispose()
    {
        _spans.Dispose();
        _meters.Dispose();
    }

    internal sealed record Measurement(string Instrument, double Value, KeyValuePair<string, object?>[] Tags)
    {
        public string? Tag(string key) => Tags.FirstOrDefault(t => t.Key == key).Value as string;
    }
}
