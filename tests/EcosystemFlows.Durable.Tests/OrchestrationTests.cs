using System.Diagnostics;
using EcosystemFlows.Durable.History;
using EcosystemFlows.Durable.Tests.Samples;
using Microsoft.Extensions.DependencyInjection;

namespace EcosystemFlows.Durable.Tests;

public sealed class OrchestrationTests
{
    [Fact]
    public async Task CallActivityAsync_Sequence_CompletesWithOutputsInOrder()
    {
        await using var host = await TestHosts.StartAsync();

        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(HelloSequenceOrchestrator), "London");
        var result = await host.WaitForCompletionAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal(["Hello Tokyo!", "Hello Seattle!", "Hello London!"], result.ReadOutputAs<List<string>>());
        Assert.Equal("London", result.ReadInputAs<string>());
        var history = await host.Client.GetOrchestrationHistoryAsync(id);
        Assert.Equal(3, history.OfType<TaskScheduledEvent>().Count());
        Assert.Equal(3, history.OfType<TaskCompletedEvent>().Count());
        Assert.IsType<ExecutionCompletedEvent>(history[^1]);
    }

    [Fact]
    public async Task WhenAll_FanOut_RunsEveryActivityOnce()
    {
        await using var host = await TestHosts.StartAsync();

        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(FanOutOrchestrator), 25);
        var result = await host.WaitForCompletionAsync(id);

        Assert.Equal(25, result.ReadOutputAs<int>());
        Assert.Equal(25, host.Effects().ExecutionsByKey.Count);
    }

    [Fact]
    public async Task WaitForExternalEvent_ThirtyDayTimeout_TimesOutInMilliseconds()
    {
        await using var host = await TestHosts.StartAsync();
        var stopwatch = Stopwatch.StartNew();
        var start = host.Clock.GetUtcNow();

        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ApprovalOrchestrator), "offer-1");
        await host.AdvanceTimeAsync(TimeSpan.FromDays(29));
        var meanwhile = await host.Client.GetInstanceAsync(id);
        await host.AdvanceTimeAsync(TimeSpan.FromDays(1));
        var result = await host.WaitForCompletionAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Running, meanwhile!.RuntimeStatus);
        Assert.Equal("timed out", result.ReadOutputAs<string>());
        var fired = Assert.Single((await host.Client.GetOrchestrationHistoryAsync(id)).OfType<TimerFiredEvent>());
        Assert.Equal(start.UtcDateTime.AddDays(30), fired.FireAt);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5), $"took {stopwatch.Elapsed}");
    }

    [Fact]
    public async Task WaitForExternalEvent_EventBeforeTimeout_ReturnsPayloadAndSetsCustomStatus()
    {
        await using var host = await TestHosts.StartAsync();
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ApprovalOrchestrator), "offer-1");
        await host.WaitForIdleAsync();
        var waiting = await host.Client.GetInstanceAsync(id, getInputsAndOutputs: true);

        await host.Client.RaiseEventAsync(id, "approval", "alice");
        var result = await host.WaitForCompletionAsync(id);

        Assert.Equal("""{"stage":"waiting"}""", waiting!.SerializedCustomStatus);
        Assert.Equal("approved:alice", result.ReadOutputAs<string>());
    }

    [Fact]
    public async Task WaitForExternalEvent_EventsRaisedBeforeWait_AreBufferedInArrivalOrder()
    {
        // Arrange: the orchestration is busy with an activity (no worker yet for it) while events arrive.
        await using var host = await TestHosts.StartAsync(o => o.ConfigureRuntime = r => r.MaxConcurrentActivities = 1);
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(TwoEventsOrchestrator));
        await host.Client.RaiseEventAsync(id, "Item", "a");
        await host.Client.RaiseEventAsync(id, "Item", "b");

        // Act
        var result = await host.WaitForCompletionAsync(id);

        // Assert
        Assert.Equal("ab", result.ReadOutputAs<string>());
    }

    [Fact]
    public async Task WhenAny_EventArrivesFirst_EventWinsAndTimerIsIgnored()
    {
        await using var host = await TestHosts.StartAsync();
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(RaceOrchestrator));
        await host.AdvanceTimeAsync(TimeSpan.FromMinutes(59));

        await host.Client.RaiseEventAsync(id, "Signal", 7);
        var result = await host.WaitForCompletionAsync(id);
        await host.AdvanceTimeAsync(TimeSpan.FromHours(2));

        Assert.Equal("event:7", result.ReadOutputAs<string>());
        var after = await host.Client.GetInstanceAsync(id, true);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, after!.RuntimeStatus);
        Assert.Empty((await host.Client.GetOrchestrationHistoryAsync(id)).OfType<TimerFiredEvent>());
    }

    [Fact]
    public async Task WhenAny_TimerFiresFirst_TimerWins()
    {
        await using var host = await TestHosts.StartAsync();
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(RaceOrchestrator));

        await host.AdvanceTimeAsync(TimeSpan.FromHours(1));
        var result = await host.WaitForCompletionAsync(id);
        await host.Client.RaiseEventAsync(id, "Signal", 7);
        await host.WaitForIdleAsync();

        Assert.Equal("timer", result.ReadOutputAs<string>());
        Assert.Equal("\"timer\"", (await host.Client.GetInstanceAsync(id, true))!.SerializedOutput);
    }

    [Fact]
    public async Task CallActivityAsync_RetriesExhausted_FailsAfterBackoffScheduleOnTheClock()
    {
        await using var host = await TestHosts.StartAsync();
        var start = host.Clock.GetUtcNow();

        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(RetryOrchestrator), 5);
        await host.AdvanceTimeAsync(TimeSpan.FromMinutes(10));
        var result = await host.WaitForCompletionAsync(id);

        // 10 s, then x2 = 20 s, then capped at 30 s twice.
        var offsets = host.Effects().AttemptTimes.Select(t => (t - start).TotalSeconds).ToList();
        Assert.Equal([0, 10, 30, 60, 90], offsets);
        Assert.Equal(OrchestrationRuntimeStatus.Failed, result.RuntimeStatus);
        Assert.Equal(typeof(TaskFailedException).FullName, result.FailureDetails!.ErrorType);
        Assert.True(result.FailureDetails.IsCausedBy<InvalidOperationException>());
        Assert.Contains("flaky failure of payment", result.FailureDetails.InnerFailure!.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CallSubOrchestratorAsync_ChildSucceeds_ReturnsChildOutput()
    {
        await using var host = await TestHosts.StartAsync();

        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ParentOrchestrator), new ParentInput("Ada", "child-ok"));
        var result = await host.WaitForCompletionAsync(id);

        Assert.Equal("child said Hello Ada!", result.ReadOutputAs<string>());
        var child = await host.Client.GetInstanceAsync("child-ok");
        Assert.Equal(OrchestrationRuntimeStatus.Completed, child!.RuntimeStatus);
    }

    [Fact]
    public async Task CallSubOrchestratorAsync_ChildFails_PropagatesFailureDetailsChain()
    {
        await using var host = await TestHosts.StartAsync();

        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ParentOrchestrator), new ParentInput("fail", "child-bad"));
        var result = await host.WaitForCompletionAsync(id);

        var chain = result.ReadOutputAs<string>()!;
        Assert.Equal(
            "EcosystemFlows.Durable.TaskFailedException:Task 'Explode' (#0) failed with an unhandled exception: boom" +
            " <- System.InvalidOperationException:boom <- System.ArgumentException:root cause",
            chain);
        var child = await host.Client.GetInstanceAsync("child-bad");
        Assert.Equal(OrchestrationRuntimeStatus.Failed, child!.RuntimeStatus);
    }

    [Fact]
    public async Task RunAsync_UnhandledException_FailsInstanceWithDetails()
    {
        await using var host = await TestHosts.StartAsync();

        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ThrowingOrchestrator), "x");
        var result = await host.WaitForCompletionAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Failed, result.RuntimeStatus);
        Assert.Equal("System.InvalidOperationException", result.FailureDetails!.ErrorType);
        Assert.Equal("orchestrator gave up on x", result.FailureDetails.ErrorMessage);
        Assert.NotNull(result.FailureDetails.StackTrace);
    }

    [Fact]
    public async Task ContinueAsNew_ThousandGenerations_KeepsHistoryAndDocumentBounded()
    {
        await using var host = await TestHosts.StartAsync();

        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(CounterOrchestrator), new CounterState(0, 1000));
        var result = await host.WaitForCompletionAsync(id, TimeSpan.FromSeconds(40));

        Assert.Equal(1000, result.ReadOutputAs<int>());
        var history = await host.Client.GetOrchestrationHistoryAsync(id);
        Assert.True(history.Count <= 4, $"final execution history has {history.Count} events");
        Assert.True(host.Store.LargestDocumentSize < 100_000, $"largest document {host.Store.LargestDocumentSize} chars");
    }

    [Theory]
    [InlineData(true, "kept")]
    [InlineData(false, null)]
    public async Task ContinueAsNew_PreserveUnprocessedEvents_CarriesBufferedEventsOnlyWhenAsked(bool preserve, string? expected)
    {
        await using var host = await TestHosts.StartAsync();
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(CarryOverOrchestrator), new CarryInput(preserve, 0));
        await host.WaitForIdleAsync();

        await host.Client.RaiseEventAsync(id, "Carried", "kept");
        await host.Client.RaiseEventAsync(id, "Next", "go");
        await host.AdvanceTimeAsync(TimeSpan.FromHours(2));
        var result = await host.WaitForCompletionAsync(id);

        if (expected is null)
        {
            Assert.Equal(OrchestrationRuntimeStatus.Failed, result.RuntimeStatus);
            Assert.Equal(typeof(TaskCanceledException).FullName, result.FailureDetails!.ErrorType);
        }
        else
        {
            Assert.Equal(expected, result.ReadOutputAs<string>());
        }
    }

    [Fact]
    public async Task NewGuidAndCurrentUtcDateTime_AcrossReplay_AreStable()
    {
        await using var host = await TestHosts.StartAsync(o => o.ConfigureRuntime = r => r.DefaultVersion = "2.1");
        var start = host.Clock.GetUtcNow().UtcDateTime;
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(DeterministicValuesOrchestrator));
        await host.WaitForIdleAsync();
        var status = (await host.Client.GetInstanceAsync(id, true))!.ReadCustomStatusAs<string>()!;

        await host.AdvanceTimeAsync(TimeSpan.FromMinutes(5));
        var parts = (await host.WaitForCompletionAsync(id)).ReadOutputAs<string>()!.Split('|');

        Assert.Equal(status, $"{parts[0]}|{parts[1]}");
        Assert.Equal(start, DateTime.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind));
        Assert.NotEqual(parts[0], parts[2]);
        Assert.Equal(start.AddMinutes(5), DateTime.Parse(parts[3], System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind));
        Assert.Equal("2.1", parts[4]);
        Assert.Equal(5, Guid.Parse(parts[0]).Version);
    }

    [Fact]
    public async Task Replay_CodeChangedMidFlight_FailsWithNonDeterminismNamingBothActions()
    {
        await using var host = await TestHosts.StartAsync();
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(EvolvingOrchestrator));
        await host.WaitForIdleAsync();

        host.Services.GetRequiredService<CodeVersionSwitch>().UseNewCode = true;
        await host.Client.RaiseEventAsync(id, "Go", "now");
        var result = await host.WaitForCompletionAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Failed, result.RuntimeStatus);
        Assert.Equal(typeof(NonDeterministicOrchestrationException).FullName, result.FailureDetails!.ErrorType);
        Assert.Contains("history has TaskScheduled 'SayHello' as task #0", result.FailureDetails.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains("now emits TimerCreated (task #0)", result.FailureDetails.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ScheduleNewOrchestrationInstanceAsync_StartAt_StaysPendingUntilDue()
    {
        await using var host = await TestHosts.StartAsync();

        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(
            nameof(HelloSequenceOrchestrator), "Oslo", new StartOrchestrationOptions { StartAt = host.Clock.GetUtcNow().AddHours(3) });
        await host.AdvanceTimeAsync(TimeSpan.FromHours(2));
        var before = await host.Client.GetInstanceAsync(id);
        await host.AdvanceTimeAsync(TimeSpan.FromHours(1));

        Assert.Equal(OrchestrationRuntimeStatus.Pending, before!.RuntimeStatus);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await host.WaitForCompletionAsync(id)).RuntimeStatus);
    }

    [Fact]
    public async Task ScheduleNewOrchestrationInstanceAsync_UnknownOrchestrator_Fails()
    {
        await using var host = await TestHosts.StartAsync();

        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync("NoSuchOrchestrator");
        var result = await host.WaitForCompletionAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Failed, result.RuntimeStatus);
        Assert.Equal("OrchestratorNotFound", result.FailureDetails!.ErrorType);
    }
}
