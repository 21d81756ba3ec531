using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using DurableTask.Core.Exceptions;
using DurableTask.Core.History;
using EcosystemFlows.DurableTask.Hosting;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace EcosystemFlows.IntegrationTests.DurableTask;

/// <summary>
/// What the app relies on from the Durable Task SDK running on the Durable Task Framework with the Azure
/// Storage provider (Azurite): our hosting glue and client, end to end. Timers are short and real.
/// </summary>
public sealed class TaskHubScenarios
{
    private static Task<TaskHubHost> StartAsync() => TaskHubHost.StartAsync(ScenarioRegistration.RegisterAll);

    [Fact]
    public async Task CallActivityAsync_Sequence_CompletesWithOutputsInOrder()
    {
        await using var host = await StartAsync();

        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(SequenceFlow), "London");
        var result = await host.WaitForCompletionAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal(["Hello Tokyo!", "Hello Seattle!", "Hello London!"], result.ReadOutputAs<List<string>>());
        var history = await host.Client.GetOrchestrationHistoryAsync(id);
        Assert.Equal(["\"Hello Tokyo!\"", "\"Hello Seattle!\"", "\"Hello London!\""], history.OfType<TaskCompletedEvent>().Select(e => e.Result));
        Assert.Equal(["Greet", "Greet", "Greet"], history.OfType<TaskScheduledEvent>().Select(e => e.Name));
        Assert.Single(history.OfType<ExecutionCompletedEvent>());
    }

    [Fact]
    public async Task WhenAll_FanOut_EveryResultRecordedOnce()
    {
        await using var host = await StartAsync();

        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(FanOutFlow), 40);
        var result = await host.WaitForCompletionAsync(id);

        Assert.Equal(40, result.ReadOutputAs<int>());
        Assert.Equal(40, (await host.HistoryEventTypesAsync(id)).Count(e => e == "TaskCompleted"));
    }

    [Fact]
    public async Task WaitForExternalEvent_EventBeforeTimeout_ReturnsPayloadAndCustomStatus()
    {
        await using var host = await StartAsync();
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ApprovalFlow), 60_000);
        var waiting = await host.WaitForAsync(id, m => m.SerializedCustomStatus is not null);

        await host.Client.RaiseEventAsync(id, "Approval", "alice");
        var result = await host.WaitForCompletionAsync(id);

        Assert.Equal("""{"stage":"waiting"}""", waiting.SerializedCustomStatus);
        Assert.Equal("approved:alice", result.ReadOutputAs<string>());
    }

    [Fact]
    public async Task WaitForExternalEvent_NoEvent_TimesOutOnDurableTimer()
    {
        await using var host = await StartAsync();

        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ApprovalFlow), 1_500);
        var result = await host.WaitForCompletionAsync(id);

        Assert.Equal("timed out", result.ReadOutputAs<string>());
        Assert.Single(await host.HistoryEventTypesAsync(id), e => e == "TimerFired");
    }

    [Fact]
    public async Task RaiseEventAsync_EventsInQuickSuccession_AppliedInArrivalOrder()
    {
        await using var host = await StartAsync();
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(EventsFlow), 5);

        foreach (var item in new[] { "a", "b", "c", "d", "e" })
        {
            await host.Client.RaiseEventAsync(id, "Item", item);
        }

        var result = await host.WaitForCompletionAsync(id);
        Assert.Equal("a,b,c,d,e", result.ReadOutputAs<string>());
        Assert.Equal(["\"a\"", "\"b\"", "\"c\"", "\"d\"", "\"e\""], (await host.Client.GetOrchestrationHistoryAsync(id)).OfType<EventRaisedEvent>().Select(e => e.Input));
    }

    [Fact]
    public async Task CallSubOrchestratorAsync_ChildFails_ParentSeesFailure()
    {
        await using var host = await StartAsync();

        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ParentFlow), "boom");
        var result = await host.WaitForCompletionAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Contains("cannot boom", result.ReadOutputAs<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CallSubOrchestratorAsync_Child_KnowsItsParent()
    {
        await using var host = await StartAsync();

        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ParentOfReportingChildFlow), "x");
        var result = await host.WaitForCompletionAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal($"{nameof(ParentOfReportingChildFlow)}/{id}", result.ReadOutputAs<string>());
    }

    [Fact]
    public async Task ContinueAsNew_TwentyGenerations_CompletesWithBoundedHistory()
    {
        await using var host = await StartAsync();

        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(CounterFlow), 0);
        var result = await host.WaitForAsync(id, m => m.RuntimeStatus == OrchestrationRuntimeStatus.Completed);

        Assert.Equal(20, result.ReadOutputAs<int>());
        Assert.True((await host.HistoryEventTypesAsync(id)).Count < 10);
    }

    [Fact]
    public async Task SuspendAndResume_EventWhileSuspended_AppliedAfterResume()
    {
        await using var host = await StartAsync();
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ApprovalFlow), 60_000);
        await host.WaitForAsync(id, m => m.SerializedCustomStatus is not null);

        await host.Client.SuspendInstanceAsync(id, "hold");
        await host.WaitForAsync(id, m => m.RuntimeStatus == OrchestrationRuntimeStatus.Suspended);
        await host.Client.RaiseEventAsync(id, "Approval", "bob");
        await Task.Delay(500);
        var meanwhile = await host.Client.GetInstanceAsync(id);
        await host.Client.ResumeInstanceAsync(id, "go");
        var result = await host.WaitForCompletionAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Suspended, meanwhile!.RuntimeStatus);
        Assert.Equal("approved:bob", result.ReadOutputAs<string>());
    }

    [Fact]
    public async Task TerminateInstanceAsync_MidWait_EndsTerminatedWithReason()
    {
        await using var host = await StartAsync();
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ApprovalFlow), 60_000);
        await host.WaitForAsync(id, m => m.SerializedCustomStatus is not null);

        await host.Client.TerminateInstanceAsync(id, "cancelled by partner");
        var result = await host.WaitForCompletionAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Terminated, result.RuntimeStatus);
        Assert.Equal("cancelled by partner", result.SerializedOutput);
    }

    [Fact]
    public async Task WorkflowTelemetry_StartedThenTerminated_CountsEachOnce()
    {
        // Arrange: tests of this class run one at a time, and no other class runs ApprovalFlow.
        var counted = new ConcurrentQueue<string>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == WorkflowTelemetry.MeterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, _, tags, _) =>
        {
            if (tags.ToArray().Any(t => t.Key == WorkflowTelemetry.NameTag && Equals(t.Value, nameof(ApprovalFlow))))
            {
                counted.Enqueue(instrument.Name);
            }
        });
        listener.Start();
        await using var host = await StartAsync();
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ApprovalFlow), 60_000);
        await host.WaitForAsync(id, m => m.SerializedCustomStatus is not null);

        // Act
        await host.Client.TerminateInstanceAsync(id, "cancelled by partner");
        await host.WaitForCompletionAsync(id);

        // Assert
        Assert.Equal(1, counted.Count(n => n == WorkflowTelemetry.OrchestrationsStarted));
        Assert.Equal(1, counted.Count(n => n == WorkflowTelemetry.OrchestrationsTerminated));
        Assert.DoesNotContain(WorkflowTelemetry.OrchestrationsCompleted, counted);
    }

    [Fact]
    public async Task ScheduleNewOrchestrationInstanceAsync_RunningId_ThrowsAlreadyExistsAndLeavesItRunning()
    {
        await using var host = await StartAsync();
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ApprovalFlow), 60_000, new StartOrchestrationOptions { InstanceId = "offer-" + Guid.NewGuid().ToString("N") });
        await host.WaitForAsync(id, m => m.RuntimeStatus == OrchestrationRuntimeStatus.Running);

        await Assert.ThrowsAsync<OrchestrationAlreadyExistsException>(() =>
            host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ApprovalFlow), 1, new StartOrchestrationOptions { InstanceId = id }));

        await Task.Delay(500);
        Assert.Equal(OrchestrationRuntimeStatus.Running, (await host.Client.GetInstanceAsync(id))!.RuntimeStatus);
    }

    [Fact]
    public async Task GetAllInstancesAsync_FiltersAndPages_ReturnsEachMatchOnce()
    {
        await using var host = await StartAsync();
        var prefix = "q" + Guid.NewGuid().ToString("N")[..8] + "-";
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(SequenceFlow), "x", new StartOrchestrationOptions { InstanceId = $"{prefix}{i}" }));
        }

        await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ApprovalFlow), 60_000, new StartOrchestrationOptions { InstanceId = $"{prefix}waiting" });
        foreach (var id in ids)
        {
            await host.WaitForCompletionAsync(id);
        }

        var seen = new List<string>();
        var pages = 0;
        await foreach (var page in host.Client.GetAllInstancesAsync(new OrchestrationQuery
        {
            Statuses = [OrchestrationRuntimeStatus.Completed],
            InstanceIdPrefix = prefix,
            PageSize = 2,
        }).AsPages())
        {
            seen.AddRange(page.Values.Select(i => i.InstanceId));
            pages++;
        }

        Assert.Equal(ids.Order(), seen.Order());
        Assert.True(pages >= 3, $"{pages} pages of at most 2");
    }

    [Fact]
    public async Task PurgeInstanceAsync_CompletedInstance_RemovesIt()
    {
        await using var host = await StartAsync();
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(SequenceFlow), "x");
        await host.WaitForCompletionAsync(id);

        var purged = await host.Client.PurgeInstanceAsync(id);

        Assert.Equal(1, purged.PurgedInstanceCount);
        Assert.Null(await host.Client.GetInstanceAsync(id));
    }

    [Fact]
    public async Task RestartAsync_FailedInstance_RunsAgainWithItsInput()
    {
        await using var host = await StartAsync();
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(FailingChildFlow), "twice");
        var failed = await host.WaitForCompletionAsync(id);

        var restarted = await host.Client.RestartAsync(id, restartWithNewInstanceId: false);
        var again = await host.WaitForAsync(restarted, m => m.IsCompleted && m.LastUpdatedAt > failed.LastUpdatedAt);

        Assert.Equal(OrchestrationRuntimeStatus.Failed, failed.RuntimeStatus);
        Assert.Equal(id, restarted);
        Assert.Equal(OrchestrationRuntimeStatus.Failed, again.RuntimeStatus);
        Assert.Contains("cannot twice", again.FailureDetails!.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RestartAsync_RunningInstance_Refused()
    {
        await using var host = await StartAsync();
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ApprovalFlow), 60_000);
        await host.WaitForAsync(id, m => m.RuntimeStatus == OrchestrationRuntimeStatus.Running);

        await Assert.ThrowsAsync<InvalidOperationException>(() => host.Client.RestartAsync(id));
    }

    [Fact]
    public async Task LargePayloads_BeyondQueueMessageLimit_RoundTrip()
    {
        await using var host = await StartAsync();

        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(LargePayloadFlow), 200_000);
        var result = await host.WaitForCompletionAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal(600_000, result.ReadOutputAs<int>());
    }

    [Fact]
    public async Task Worker_StoppedMidWaitAndRestartedWithSameWorkerId_ResumesTheInstance()
    {
        var hub = LocalServices.UniqueName("it");
        var first = await TaskHubHost.StartAsync(ScenarioRegistration.RegisterAll, hub, workerId: "w1");
        var id = await first.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ApprovalFlow), 120_000);
        await first.WaitForAsync(id, m => m.SerializedCustomStatus is not null);
        await first.StopAsync();

        await using var second = await TaskHubHost.StartAsync(ScenarioRegistration.RegisterAll, hub, workerId: "w1");
        await second.Client.RaiseEventAsync(id, "Approval", "carol");
        var result = await second.WaitForCompletionAsync(id, TimeSpan.FromSeconds(30));

        Assert.Equal("approved:carol", result.ReadOutputAs<string>());
    }
}
