using System.Diagnostics;
using System.Text.Json;
using EcosystemFlows.Durable.Diagnostics;
using EcosystemFlows.Durable.History;
using EcosystemFlows.Durable.Ports;
using EcosystemFlows.Durable.Testing;
using EcosystemFlows.Durable.Worker;
using Microsoft.Extensions.DependencyInjection;

namespace EcosystemFlows.Durable.Tests.Diagnostics;

/// <summary>Traces continue across the durable boundary; metrics count what happened once.</summary>
public sealed class DurableTelemetryTests
{
    private const string InstanceIdTag = "durabletask.task.instance_id";
    private const string TaskIdTag = "durabletask.task.task_id";

    [Fact]
    public async Task ScheduleNewOrchestration_EveryDurableStep_ContinuesTheCallersTrace()
    {
        // Arrange
        using var capture = new TelemetryCapture();
        await using var host = await StartHostAsync();

        // Act: scheduled under a caller span, the event raised under another one, the timer fired by the clock.
        var (id, caller) = await ScheduleAsCallerAsync(host, nameof(TracedSequenceOrchestrator));
        await host.WaitForIdleAsync();
        ActivityContext signer;
        using (var span = TelemetryCapture.Caller.StartActivity("signer")!)
        {
            signer = span.Context;
            await host.Client.RaiseEventAsync(id, "Continue", "go");
        }

        await host.AdvanceTimeAsync(TimeSpan.FromHours(1));
        var result = await host.WaitForCompletionAsync(id);

        // Assert
        Assert.Equal("a,go,b,c", result.ReadOutputAs<string>());
        var trace = capture.InTrace(caller.TraceId);
        var create = Assert.Single(trace, s => s.OperationName == $"create_orchestration:{nameof(TracedSequenceOrchestrator)}");
        Assert.Equal(caller.SpanId, create.ParentSpanId);

        var episodes = trace.Where(s => s.OperationName == $"orchestration:{nameof(TracedSequenceOrchestrator)}").ToList();
        Assert.NotEmpty(episodes);
        Assert.All(episodes, e => Assert.Equal(create.SpanId, e.ParentSpanId));
        Assert.Equal(nameof(OrchestrationRuntimeStatus.Completed), episodes.Last().GetTagItem("durabletask.task.status"));

        var childEpisodes = trace.Where(s => s.OperationName == $"orchestration:{nameof(TracedChildOrchestrator)}").ToList();
        Assert.NotEmpty(childEpisodes);
        Assert.All(childEpisodes, e => Assert.Contains(episodes, p => p.SpanId == e.ParentSpanId));

        var activities = trace.Where(s => s.OperationName == $"activity:{nameof(TracedStep)}").ToList();
        Assert.Equal(3, activities.Count);
        Assert.All(activities, a => Assert.Contains(episodes.Concat(childEpisodes), e => e.SpanId == a.ParentSpanId));
        Assert.Equal(2, activities.Count(a => (string?)a.GetTagItem(InstanceIdTag) == id));
        Assert.All(activities, a => Assert.IsType<int>(a.GetTagItem(TaskIdTag)));

        // Library work inside an activity (a Service Bus send) is a child of the activity span.
        var sends = trace.Where(s => s.Source == TracedStep.Library).ToList();
        Assert.Equal(3, sends.Count);
        Assert.All(sends, s => Assert.Contains(activities, a => a.SpanId == s.ParentSpanId));

        var timer = Assert.Single(trace, s => s.OperationName == $"orchestration:{nameof(TracedSequenceOrchestrator)}:timer");
        Assert.Equal(TimeSpan.FromHours(1), timer.Duration);

        // The event's sender is linked from the episode that applied it.
        var raise = Assert.Single(capture.InTrace(signer.TraceId), s => s.OperationName == "orchestration_event:Continue");
        Assert.Equal(signer.SpanId, raise.ParentSpanId);
        Assert.Single(episodes, e => e.Links.Any(l => l.Context.SpanId == raise.SpanId));
    }

    [Fact]
    public async Task Worker_RestartedWhileInstanceWaits_ReplayContinuesTheTraceWithoutDuplicateSpans()
    {
        // Arrange: one worker runs the instance up to its event wait, then stops (its in-memory cache goes with it).
        using var capture = new TelemetryCapture();
        await using var host = await StartHostAsync(workerCount: 0);
        var first = ActivatorUtilities.CreateInstance<DurableWorker>(host.Services);
        await first.StartAsync(CancellationToken.None);
        var (id, caller) = await ScheduleAsCallerAsync(host, nameof(TracedSequenceOrchestrator));
        await host.WaitForIdleAsync();
        await first.DisposeAsync();

        // Act: a new worker loads the stored instance and replays its history for every following episode.
        await using var second = ActivatorUtilities.CreateInstance<DurableWorker>(host.Services);
        await second.StartAsync(CancellationToken.None);
        await host.Client.RaiseEventAsync(id, "Continue", "go");
        await host.AdvanceTimeAsync(TimeSpan.FromHours(1));
        var result = await host.WaitForCompletionAsync(id);

        // Assert: one span per activity actually run and per episode committed, all in the caller's trace.
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        var history = await host.Client.GetOrchestrationHistoryAsync(id);
        var trace = capture.InTrace(caller.TraceId);
        var activityTaskIds = trace
            .Where(s => s.OperationName == $"activity:{nameof(TracedStep)}" && (string?)s.GetTagItem(InstanceIdTag) == id)
            .Select(s => (int)s.GetTagItem(TaskIdTag)!)
            .Order();
        Assert.Equal(history.OfType<TaskScheduledEvent>().Select(e => e.EventId).Order(), activityTaskIds);
        Assert.Equal(
            history.OfType<OrchestratorStartedEvent>().Count(),
            trace.Count(s => s.OperationName == $"orchestration:{nameof(TracedSequenceOrchestrator)}"));
        Assert.DoesNotContain(capture.Spans, s => s.OperationName.StartsWith("activity:", StringComparison.Ordinal)
            && (string?)s.GetTagItem(InstanceIdTag) == id && s.TraceId != caller.TraceId);
    }

    [Fact]
    public async Task Activity_Fails_SpansErrorAndFailureCounted()
    {
        using var capture = new TelemetryCapture();
        await using var host = await StartHostAsync();

        var (id, caller) = await ScheduleAsCallerAsync(host, nameof(TracedFailingOrchestrator));
        var result = await host.WaitForCompletionAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Failed, result.RuntimeStatus);
        var trace = capture.InTrace(caller.TraceId);
        var activity = Assert.Single(trace, s => s.OperationName == $"activity:{nameof(TracedFailure)}");
        Assert.Equal(ActivityStatusCode.Error, activity.Status);
        Assert.Contains("failed", activity.StatusDescription, StringComparison.Ordinal);
        Assert.Equal("Failed", activity.GetTagItem(DurableTelemetry.ResultTag));
        Assert.Contains(trace, s => s.OperationName == $"orchestration:{nameof(TracedFailingOrchestrator)}" && s.Status == ActivityStatusCode.Error);

        Assert.Equal(1, capture.Total(DurableTelemetry.OrchestrationsStarted, nameof(TracedFailingOrchestrator)));
        Assert.Equal(1, capture.Total(DurableTelemetry.OrchestrationsFailed, nameof(TracedFailingOrchestrator)));
        Assert.Equal(0, capture.Total(DurableTelemetry.OrchestrationsCompleted, nameof(TracedFailingOrchestrator)));
        Assert.Single(capture.Measurements, m => m.Instrument == DurableTelemetry.ActivityDuration
            && m.Tag(DurableTelemetry.NameTag) == nameof(TracedFailure) && m.Tag(DurableTelemetry.ResultTag) == "Failed");
    }

    [Fact]
    public async Task Metrics_MessageWaitsFiveMinutes_QueueWaitAndCountersRecorded()
    {
        // Arrange: no worker yet, so the start message waits in the queue while the clock moves.
        using var capture = new TelemetryCapture();
        await using var host = await StartHostAsync(workerCount: 0);
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(TracedChildOrchestrator), "q");
        host.Clock.Advance(TimeSpan.FromMinutes(5));

        // Act
        await using var worker = ActivatorUtilities.CreateInstance<DurableWorker>(host.Services);
        await worker.StartAsync(CancellationToken.None);
        var result = await host.WaitForCompletionAsync(id);

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Contains(capture.Measurements, m => m.Instrument == DurableTelemetry.QueueWait && m.Tag(DurableTelemetry.QueueTag) == "control" && m.Value == 300);
        Assert.Contains(capture.Measurements, m => m.Instrument == DurableTelemetry.QueueWait && m.Tag(DurableTelemetry.QueueTag) == "workitem");
        Assert.Equal(1, capture.Total(DurableTelemetry.OrchestrationsStarted, nameof(TracedChildOrchestrator)));
        Assert.Equal(1, capture.Total(DurableTelemetry.OrchestrationsCompleted, nameof(TracedChildOrchestrator)));
        var duration = Assert.Single(capture.Measurements, m => m.Instrument == DurableTelemetry.ActivityDuration && m.Tag(DurableTelemetry.NameTag) == nameof(TracedStep));
        Assert.Equal("Succeeded", duration.Tag(DurableTelemetry.ResultTag));
    }

    [Fact]
    public void DurableJson_TraceContextAndEnqueueTime_SurviveTheRoundTrip()
    {
        var context = new DistributedTraceContext("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "vendor=1");
        var message = new TaskMessage("m", "i", "e", new ExecutionStartedEvent(-1, DateTime.UnixEpoch, "N", "1", null, "e", null) { ParentTraceContext = context })
        {
            EnqueuedAt = DateTimeOffset.UnixEpoch,
        };

        var read = JsonSerializer.Deserialize<TaskMessage>(JsonSerializer.Serialize(message, DurableJson.Options), DurableJson.Options)!;
        var legacy = JsonSerializer.Deserialize<HistoryEvent>("""{"eventType":"TaskScheduled","eventId":1,"timestamp":"2026-01-01T00:00:00Z","name":"A"}""", DurableJson.Options);

        Assert.Equal(context, Assert.IsType<ExecutionStartedEvent>(read.Event).ParentTraceContext);
        Assert.Equal(DateTimeOffset.UnixEpoch, read.EnqueuedAt);
        Assert.Null(Assert.IsType<TaskScheduledEvent>(legacy).ParentTraceContext);
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", context.ToActivityContext().TraceId.ToHexString());
    }

    private static Task<DurableTestHost> StartHostAsync(int workerCount = 1) =>
        DurableTestHost.StartAsync(
            registry => registry
                .AddOrchestrator<TracedSequenceOrchestrator>()
                .AddOrchestrator<TracedChildOrchestrator>()
                .AddOrchestrator<TracedFailingOrchestrator>()
                .AddActivity<TracedStep>()
                .AddActivity<TracedFailure>(),
            options => options.WorkerCount = workerCount);

    private static async Task<(string Id, ActivityContext Caller)> ScheduleAsCallerAsync(DurableTestHost host, string orchestrator)
    {
        using var caller = TelemetryCapture.Caller.StartActivity("caller")!;
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(orchestrator, "x");
        return (id, caller.Context);
    }
}
