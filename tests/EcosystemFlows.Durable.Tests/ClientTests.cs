using EcosystemFlows.Durable.Client;
using EcosystemFlows.Durable.History;
using EcosystemFlows.Durable.InMemory;
using EcosystemFlows.Durable.Ports;
using EcosystemFlows.Durable.Tests.Samples;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Moq;

namespace EcosystemFlows.Durable.Tests;

public sealed class ClientTests
{
    [Fact]
    public async Task TerminateInstanceAsync_MidWait_EndsTerminatedWithReason()
    {
        await using var host = await TestHosts.StartAsync();
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ApprovalOrchestrator), "x");
        await host.WaitForIdleAsync();

        await host.Client.TerminateInstanceAsync(id, "cancelled by partner");
        var result = await host.WaitForCompletionAsync(id);
        await host.AdvanceTimeAsync(TimeSpan.FromDays(31));
        await host.Client.RaiseEventAsync(id, "Approval", "late");
        await host.WaitForIdleAsync();

        Assert.Equal(OrchestrationRuntimeStatus.Terminated, result.RuntimeStatus);
        Assert.Equal("cancelled by partner", result.ReadOutputAs<string>());
        var history = await host.Client.GetOrchestrationHistoryAsync(id);
        Assert.IsType<ExecutionTerminatedEvent>(history[^2]);
        Assert.Empty(history.OfType<TimerFiredEvent>());
    }

    [Fact]
    public async Task SuspendInstanceAsync_MidWait_BuffersEventUntilResumed()
    {
        await using var host = await TestHosts.StartAsync();
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ApprovalOrchestrator), "x");
        await host.WaitForIdleAsync();

        await host.Client.SuspendInstanceAsync(id, "maintenance");
        await host.WaitForIdleAsync();
        await host.Client.RaiseEventAsync(id, "Approval", "bob");
        await host.WaitForIdleAsync();
        var suspended = await host.Client.GetInstanceAsync(id);
        await host.Client.ResumeInstanceAsync(id, "done");
        var result = await host.WaitForCompletionAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Suspended, suspended!.RuntimeStatus);
        Assert.Equal("approved:bob", result.ReadOutputAs<string>());
        var history = await host.Client.GetOrchestrationHistoryAsync(id);
        var kinds = history.Select(e => e.GetType()).ToList();
        Assert.True(kinds.IndexOf(typeof(ExecutionSuspendedEvent)) < kinds.IndexOf(typeof(ExecutionResumedEvent)));
        Assert.True(kinds.IndexOf(typeof(ExecutionResumedEvent)) < kinds.IndexOf(typeof(EventRaisedEvent)));
    }

    [Fact]
    public async Task SuspendInstanceAsync_TimerDueWhileSuspended_FiresAfterResume()
    {
        await using var host = await TestHosts.StartAsync();
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ApprovalOrchestrator), "x");
        await host.WaitForIdleAsync();
        await host.Client.SuspendInstanceAsync(id);

        await host.AdvanceTimeAsync(TimeSpan.FromDays(31));
        var suspended = await host.Client.GetInstanceAsync(id);
        await host.Client.ResumeInstanceAsync(id);
        var result = await host.WaitForCompletionAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Suspended, suspended!.RuntimeStatus);
        Assert.Equal("timed out", result.ReadOutputAs<string>());
    }

    [Fact]
    public async Task TerminateInstanceAsync_WhileSuspended_EndsTerminated()
    {
        await using var host = await TestHosts.StartAsync();
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ApprovalOrchestrator), "x");
        await host.WaitForIdleAsync();
        await host.Client.SuspendInstanceAsync(id);
        await host.WaitForIdleAsync();

        await host.Client.TerminateInstanceAsync(id, "closed");
        var result = await host.WaitForCompletionAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Terminated, result.RuntimeStatus);
    }

    [Fact]
    public async Task TerminateInstanceAsync_SubOrchestration_FailsTheParentCall()
    {
        await using var host = await TestHosts.StartAsync();
        var parent = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ParentOrchestrator), new ParentInput("wait", "child-wait"));
        await host.WaitForIdleAsync();

        await host.Client.TerminateInstanceAsync("child-wait", "operator stop");
        var result = await host.WaitForCompletionAsync(parent);

        Assert.Equal("Terminated:Sub-orchestration 'child-wait' was terminated: operator stop", result.ReadOutputAs<string>());
    }

    [Fact]
    public async Task CallSubOrchestratorAsync_InstanceIdOfRunningInstance_FailsTheCall()
    {
        await using var host = await TestHosts.StartAsync();
        await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ApprovalOrchestrator), "x", new StartOrchestrationOptions { InstanceId = "busy" });
        await host.WaitForIdleAsync();

        var parent = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ParentOrchestrator), new ParentInput("Ada", "busy"));
        var result = await host.WaitForCompletionAsync(parent);

        Assert.StartsWith(typeof(OrchestrationAlreadyExistsException).FullName + ":Instance 'busy' already exists", result.ReadOutputAs<string>(), StringComparison.Ordinal);
        Assert.Equal(OrchestrationRuntimeStatus.Running, (await host.Client.GetInstanceAsync("busy"))!.RuntimeStatus);
    }

    [Fact]
    public async Task ScheduleNewOrchestrationInstanceAsync_RunningId_ThrowsAlreadyExists()
    {
        await using var host = await TestHosts.StartAsync();
        var options = new StartOrchestrationOptions { InstanceId = "offer-42" };
        await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ApprovalOrchestrator), "x", options);
        await host.WaitForIdleAsync();

        var ex = await Assert.ThrowsAsync<OrchestrationAlreadyExistsException>(
            () => host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ApprovalOrchestrator), "y", options));

        Assert.Equal(OrchestrationRuntimeStatus.Running, ex.Status);
        Assert.Equal("x", (await host.Client.GetInstanceAsync("offer-42", true))!.ReadInputAs<string>());
    }

    [Fact]
    public async Task ScheduleNewOrchestrationInstanceAsync_CompletedId_StartsNewExecution()
    {
        await using var host = await TestHosts.StartAsync();
        var options = new StartOrchestrationOptions { InstanceId = "reused", Version = "3" };
        await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(HelloSequenceOrchestrator), "A", options);
        await host.WaitForCompletionAsync("reused");

        await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(HelloSequenceOrchestrator), "B", options);
        var second = await host.WaitForCompletionAsync("reused");

        Assert.Equal("Hello B!", second.ReadOutputAs<List<string>>()![2]);
        Assert.Equal("3", second.Version);
    }

    [Fact]
    public async Task RaiseEventAsync_UnknownInstance_ThrowsNotFound()
    {
        await using var host = await TestHosts.StartAsync();

        await Assert.ThrowsAsync<OrchestrationNotFoundException>(() => host.Client.RaiseEventAsync("nope", "E"));
        Assert.Null(await host.Client.GetInstanceAsync("nope"));
    }

    [Fact]
    public async Task RaiseEventAsync_InstanceThisClientStarted_SendsWithoutReadingIt()
    {
        var store = new Mock<IInstanceStore>();
        store.Setup(s => s.GetAsync(It.IsAny<string>(), It.IsAny<CancellationToken>())).ReturnsAsync((StoredInstance?)null);
        store.Setup(s => s.TryCreateAsync(It.IsAny<InstanceState>(), It.IsAny<CancellationToken>())).ReturnsAsync("etag-1");
        var dispatcher = new InMemoryDispatcher(TimeProvider.System);
        var client = new StoreDurableTaskClient(
            store.Object, dispatcher, JsonDataConverter.Default, TimeProvider.System, Options.Create(new DurableTaskOptions()), NullLogger<StoreDurableTaskClient>.Instance);
        var id = await client.ScheduleNewOrchestrationInstanceAsync("Flow", options: new StartOrchestrationOptions { InstanceId = "known" });

        await client.RaiseEventAsync(id, "E", 1);
        await Assert.ThrowsAsync<OrchestrationNotFoundException>(() => client.RaiseEventAsync("unknown", "E"));

        // One read for the start's existence check, one for the unknown instance; none for the known one.
        store.Verify(s => s.GetAsync("known", It.IsAny<CancellationToken>()), Times.Once);
        store.Verify(s => s.GetAsync("unknown", It.IsAny<CancellationToken>()), Times.Once);
        var start = await dispatcher.ReceiveAsync(DispatchQueue.Control, TimeSpan.FromMinutes(1), CancellationToken.None);
        var raised = await dispatcher.ReceiveAsync(DispatchQueue.Control, TimeSpan.FromMinutes(1), CancellationToken.None);
        Assert.IsType<ExecutionStartedEvent>(start!.Message.Event);
        Assert.Equal("E", Assert.IsType<EventRaisedEvent>(raised!.Message.Event).Name);
    }

    [Fact]
    public async Task GetInstanceAsync_PolledStatus_ReadsTheStatusNotTheHistory()
    {
        var state = new InstanceState
        {
            InstanceId = "polled",
            ExecutionId = "e1",
            Name = "Flow",
            Version = "",
            Status = OrchestrationRuntimeStatus.Running,
            CustomStatus = "\"step 2\"",
        };
        var store = new Mock<IInstanceStore>(MockBehavior.Strict);
        store.Setup(s => s.GetStatusAsync("polled", It.IsAny<CancellationToken>())).ReturnsAsync(state);
        var client = new StoreDurableTaskClient(
            store.Object, new InMemoryDispatcher(TimeProvider.System), JsonDataConverter.Default, TimeProvider.System, Options.Create(new DurableTaskOptions()), NullLogger<StoreDurableTaskClient>.Instance);

        var metadata = await client.GetInstanceAsync("polled", getInputsAndOutputs: true);

        Assert.Equal("step 2", metadata!.ReadCustomStatusAs<string>());
        store.Verify(s => s.GetStatusAsync("polled", It.IsAny<CancellationToken>()), Times.Once);
    }

    [Fact]
    public void StatusOptions_DocumentWithHistory_SkipsTheBulkyMembersAndKeepsTheRest()
    {
        var state = new InstanceState
        {
            InstanceId = "i",
            ExecutionId = "e1",
            Name = "Flow",
            Version = "2",
            Status = OrchestrationRuntimeStatus.Completed,
            Input = "\"in\"",
            Output = "\"out\"",
            CustomStatus = "\"done\"",
            CreatedTime = new DateTime(2026, 11, 23, 0, 0, 0, DateTimeKind.Utc),
            History = [new ExecutionStartedEvent(-1, DateTime.UnixEpoch, "Flow", "2", "\"in\"", "e1", null), new ExecutionCompletedEvent(1, DateTime.UnixEpoch, OrchestrationRuntimeStatus.Completed, "\"out\"", null)],
            ProcessedMessageIds = ["m1", "m2"],
        };
        var json = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(state, DurableJson.Options);

        var status = System.Text.Json.JsonSerializer.Deserialize<InstanceState>(json, DurableJson.StatusOptions)!;

        Assert.Empty(status.History);
        Assert.Empty(status.ProcessedMessageIds);
        Assert.Equal(state.WithoutBulk(), status);
    }

    [Fact]
    public async Task ScheduleNewOrchestrationInstanceAsync_RepeatedAfterTheStartMessageWasLost_ResendsTheStoredStartMessage()
    {
        // Arrange: the instance is stored, then the transport fails to take its start message (a storage outage).
        var store = new InMemoryInstanceStore();
        var dispatcher = new Mock<IMessageDispatcher>();
        dispatcher.Setup(d => d.SendAsync(DispatchQueue.Control, It.IsAny<TaskMessage>(), It.IsAny<DateTimeOffset?>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new IOException("queue service unreachable"));
        var failing = new StoreDurableTaskClient(
            store, dispatcher.Object, JsonDataConverter.Default, TimeProvider.System, Options.Create(new DurableTaskOptions()), NullLogger<StoreDurableTaskClient>.Instance);
        var options = new StartOrchestrationOptions { InstanceId = "lost-start" };
        await Assert.ThrowsAsync<IOException>(() => failing.ScheduleNewOrchestrationInstanceAsync(nameof(HelloSequenceOrchestrator), "A", options));
        var sent = new List<TaskMessage>();
        dispatcher.Setup(d => d.SendAsync(DispatchQueue.Control, It.IsAny<TaskMessage>(), It.IsAny<DateTimeOffset?>(), It.IsAny<CancellationToken>()))
            .Callback<DispatchQueue, TaskMessage, DateTimeOffset?, CancellationToken>((_, m, _, _) => sent.Add(m))
            .Returns(Task.CompletedTask);

        // Act: the caller retries the start.
        var repeated = await Assert.ThrowsAsync<OrchestrationAlreadyExistsException>(() => failing.ScheduleNewOrchestrationInstanceAsync(nameof(HelloSequenceOrchestrator), "A", options));

        // Assert: the stored start message went out again, with its deterministic id.
        Assert.Equal(OrchestrationRuntimeStatus.Pending, repeated.Status);
        var start = Assert.Single(sent);
        var stored = await store.GetAsync("lost-start", CancellationToken.None);
        Assert.Equal(stored!.State.Outbox.Single().Message.Id, start.Id);
        Assert.IsType<ExecutionStartedEvent>(start.Event);
    }

    [Fact]
    public async Task PurgeInstanceAsync_CompletedInstance_RemovesItButRefusesRunningOnes()
    {
        await using var host = await TestHosts.StartAsync();
        var done = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(HelloSequenceOrchestrator), "A");
        var running = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ApprovalOrchestrator), "x");
        await host.WaitForCompletionAsync(done);

        var purged = await host.Client.PurgeInstanceAsync(done);
        var again = await host.Client.PurgeInstanceAsync(done);

        Assert.Equal(1, purged.PurgedInstanceCount);
        Assert.Equal(0, again.PurgedInstanceCount);
        Assert.Null(await host.Client.GetInstanceAsync(done));
        await Assert.ThrowsAsync<InvalidOperationException>(() => host.Client.PurgeInstanceAsync(running));
    }

    [Fact]
    public async Task PurgeAllInstancesAsync_Filter_PurgesOnlyMatchingTerminalInstances()
    {
        await using var host = await TestHosts.StartAsync();
        var old = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(HelloSequenceOrchestrator), "old");
        await host.WaitForCompletionAsync(old);
        await host.AdvanceTimeAsync(TimeSpan.FromDays(10));
        var recent = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(HelloSequenceOrchestrator), "new");
        var failed = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ThrowingOrchestrator), "f");
        var running = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ApprovalOrchestrator), "r");
        await host.WaitForCompletionAsync(recent);
        await host.WaitForCompletionAsync(failed);

        var olderThanAWeek = await host.Client.PurgeAllInstancesAsync(new PurgeInstancesFilter(CreatedTo: host.Clock.GetUtcNow().AddDays(-7)));
        var onlyFailed = await host.Client.PurgeAllInstancesAsync(new PurgeInstancesFilter(Statuses: [OrchestrationRuntimeStatus.Failed]));

        Assert.Equal(1, olderThanAWeek.PurgedInstanceCount);
        Assert.Equal(1, onlyFailed.PurgedInstanceCount);
        Assert.Null(await host.Client.GetInstanceAsync(old));
        Assert.NotNull(await host.Client.GetInstanceAsync(recent));
        Assert.NotNull(await host.Client.GetInstanceAsync(running));
    }

    [Fact]
    public async Task QueryInstancesAsync_FiltersAndPages_ReturnsEachMatchOnceWithContinuation()
    {
        await using var host = await TestHosts.StartAsync();
        for (var i = 0; i < 7; i++)
        {
            await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ApprovalOrchestrator), "x", new StartOrchestrationOptions { InstanceId = $"offer-{i}" });
            await host.AdvanceTimeAsync(TimeSpan.FromMinutes(1));
        }

        await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(HelloSequenceOrchestrator), "x", new StartOrchestrationOptions { InstanceId = "other-1" });
        await host.WaitForCompletionAsync("other-1");
        var query = new OrchestrationQuery { InstanceIdPrefix = "offer-", Statuses = [OrchestrationRuntimeStatus.Running], PageSize = 3 };

        var first = await host.Client.QueryInstancesAsync(query);
        var second = await host.Client.QueryInstancesAsync(query with { ContinuationToken = first.ContinuationToken });
        var third = await host.Client.QueryInstancesAsync(query with { ContinuationToken = second.ContinuationToken });
        var all = await host.Client.GetAllInstancesAsync(query).ToListAsync();
        var byName = await host.Client.GetAllInstancesAsync(new OrchestrationQuery { Names = [nameof(HelloSequenceOrchestrator)] }).ToListAsync();
        var byTime = await host.Client.GetAllInstancesAsync(new OrchestrationQuery
        {
            CreatedFrom = new DateTimeOffset(2026, 1, 1, 0, 2, 0, TimeSpan.Zero),
            CreatedTo = new DateTimeOffset(2026, 1, 1, 0, 3, 0, TimeSpan.Zero),
        }).ToListAsync();

        Assert.Equal(["offer-0", "offer-1", "offer-2"], first.Instances.Select(i => i.InstanceId));
        Assert.Equal(["offer-3", "offer-4", "offer-5"], second.Instances.Select(i => i.InstanceId));
        Assert.Equal(["offer-6"], third.Instances.Select(i => i.InstanceId));
        Assert.Null(third.ContinuationToken);
        Assert.Equal(7, all.Count);
        Assert.Equal("other-1", Assert.Single(byName).InstanceId);
        Assert.Equal(["offer-2", "offer-3"], byTime.Select(i => i.InstanceId));
        Assert.All(all, i => Assert.Null(i.SerializedInput));
    }

    [Fact]
    public async Task RestartAsync_FailedInstance_RunsAgainWithSameInput()
    {
        await using var host = await TestHosts.StartAsync();
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ThrowingOrchestrator), "again");
        await host.WaitForCompletionAsync(id);

        var sameId = await host.Client.RestartAsync(id);
        var restarted = await host.WaitForCompletionAsync(sameId);
        var newId = await host.Client.RestartAsync(id, restartWithNewInstanceId: true);
        var copy = await host.WaitForCompletionAsync(newId);

        Assert.Equal(id, sameId);
        Assert.NotEqual(id, newId);
        Assert.Equal("again", restarted.ReadInputAs<string>());
        Assert.Equal(OrchestrationRuntimeStatus.Failed, restarted.RuntimeStatus);
        Assert.Equal("again", copy.ReadInputAs<string>());
        Assert.Equal(2, host.Effects().ExecutionsByKey.Keys.Count(k => k.StartsWith(id, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task RestartAsync_RunningInstance_Throws()
    {
        await using var host = await TestHosts.StartAsync();
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ApprovalOrchestrator), "x");

        await Assert.ThrowsAsync<OrchestrationAlreadyExistsException>(() => host.Client.RestartAsync(id));
    }
}
