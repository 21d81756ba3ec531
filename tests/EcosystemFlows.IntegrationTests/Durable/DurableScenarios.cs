using EcosystemFlows.Azure.Durable;
using EcosystemFlows.Durable;
using EcosystemFlows.Durable.History;
using EcosystemFlows.Durable.Ports;
using global::Azure.Storage.Blobs.Models;
using Microsoft.Extensions.DependencyInjection;

namespace EcosystemFlows.IntegrationTests.Durable;

/// <summary>
/// The runtime's behavioural scenarios, written once and run on every backend (in-memory and Cosmos DB
/// stand-in + Azurite): a difference between the backends fails the same test on one of them. Timers are
/// short and real, since the Azure backend runs on the system clock.
/// </summary>
public abstract class DurableScenarios(DurableBackend backend)
{
    protected DurableBackend Backend { get; } = backend;

    protected Task<DurableBackendHost> StartAsync(int workers = 1, Action<DurableStorageOptions>? storage = null) =>
        DurableBackendHost.StartAsync(Backend, workers, storage);

    [Fact]
    public async Task CallActivityAsync_Sequence_CompletesWithOutputsInOrder()
    {
        await using var host = await StartAsync();

        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(SequenceFlow), "London");
        var result = await host.WaitForCompletionAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal(["Hello Tokyo!", "Hello Seattle!", "Hello London!"], result.ReadOutputAs<List<string>>());
        var history = await host.Client.GetOrchestrationHistoryAsync(id);
        Assert.Equal(3, history.OfType<TaskCompletedEvent>().Count());
        Assert.IsType<ExecutionCompletedEvent>(history[^1]);
    }

    [Fact]
    public async Task WhenAll_FanOutOnTwoWorkers_EveryResultRecordedOnce()
    {
        await using var host = await StartAsync(workers: 2);

        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(FanOutFlow), 40);
        var result = await host.WaitForCompletionAsync(id);

        Assert.Equal(40, result.ReadOutputAs<int>());
        var history = await host.Client.GetOrchestrationHistoryAsync(id);
        Assert.Equal(40, history.OfType<TaskCompletedEvent>().Select(e => e.TaskScheduledId).Distinct().Count());
        Assert.Equal(40, history.OfType<TaskCompletedEvent>().Count());
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
        Assert.Single((await host.Client.GetOrchestrationHistoryAsync(id)).OfType<TimerFiredEvent>());
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
    }

    [Fact]
    public async Task CallSubOrchestratorAsync_ChildFails_ParentSeesFailure()
    {
        await using var host = await StartAsync();

        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ParentFlow), "boom");
        var result = await host.WaitForCompletionAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.StartsWith("child failed", result.ReadOutputAs<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ContinueAsNew_TwentyGenerations_CompletesWithBoundedHistory()
    {
        await using var host = await StartAsync();

        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(CounterFlow), 0);
        var result = await host.WaitForAsync(id, m => m.RuntimeStatus == OrchestrationRuntimeStatus.Completed);

        Assert.Equal(20, result.ReadOutputAs<int>());
        Assert.True((await host.Client.GetOrchestrationHistoryAsync(id)).Count < 10);
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
        await Task.Delay(300);
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
        Assert.Equal("cancelled by partner", result.ReadOutputAs<string>());
    }

    [Fact]
    public async Task ScheduleNewOrchestrationInstanceAsync_RunningId_ThrowsAlreadyExists()
    {
        await using var host = await StartAsync();
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ApprovalFlow), 60_000, new StartOrchestrationOptions { InstanceId = "offer-" + Guid.NewGuid().ToString("N") });

        await Assert.ThrowsAsync<OrchestrationAlreadyExistsException>(() =>
            host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ApprovalFlow), 1, new StartOrchestrationOptions { InstanceId = id }));
    }

    [Fact]
    public async Task QueryInstancesAsync_FiltersAndPages_ReturnsEachMatchOnceWithContinuation()
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
        string? token = null;
        var pages = 0;
        do
        {
            var page = await host.Client.QueryInstancesAsync(new OrchestrationQuery
            {
                Statuses = [OrchestrationRuntimeStatus.Completed],
                InstanceIdPrefix = prefix,
                PageSize = 2,
                ContinuationToken = token,
            });
            seen.AddRange(page.Instances.Select(i => i.InstanceId));
            token = page.ContinuationToken;
            pages++;
        }
        while (token is not null);

        Assert.Equal(ids.Order(), seen.Order());
        Assert.Equal(3, pages);
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
    public async Task LargePayloads_BeyondMessageAndDocumentBounds_RoundTrip()
    {
        await using var host = await StartAsync(storage: o => o.MaxInlineDocumentBytes = 64 * 1024);

        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(LargePayloadFlow), 60_000);
        var result = await host.WaitForCompletionAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal(180_000, result.ReadOutputAs<int>());
        Assert.Equal(3, (await host.Client.GetOrchestrationHistoryAsync(id)).OfType<TaskCompletedEvent>().Count());
    }

    [Fact]
    public async Task GetStatusAsync_InlineAndOffloadedDocuments_EqualsFullStateWithoutBulk()
    {
        await using var host = await StartAsync(storage: o => o.MaxInlineDocumentBytes = 64 * 1024);
        var store = host.Services.GetRequiredService<IInstanceStore>();
        var inline = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(SequenceFlow), "London");
        var offloaded = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(LargePayloadFlow), 60_000);
        await host.WaitForCompletionAsync(inline);
        await host.WaitForCompletionAsync(offloaded);

        foreach (var id in new[] { inline, offloaded })
        {
            var full = await store.GetAsync(id, CancellationToken.None);
            var status = await store.GetStatusAsync(id, CancellationToken.None);

            Assert.NotNull(full);
            Assert.NotEmpty(full.State.History);
            Assert.NotEmpty(full.State.ProcessedMessageIds);
            Assert.Equal(full.State.WithoutBulk(), status);
            Assert.NotNull(status!.Output);
        }

        Assert.Null(await store.GetStatusAsync("no-such-instance", CancellationToken.None));
    }
}

public sealed class InMemoryDurableScenarios() : DurableScenarios(DurableBackend.InMemory);

/// <summary>The same scenarios on the Cosmos DB stand-in and Azurite (eng/services.sh start cosmos azurite).</summary>
public sealed class AzureDurableScenarios() : DurableScenarios(DurableBackend.Azure)
{
    [Fact]
    public async Task LargePayloads_BeyondBounds_OffloadedToBlobsAndCleanedOnPurge()
    {
        await using var host = await StartAsync(storage: o => o.MaxInlineDocumentBytes = 64 * 1024);
        var hub = host.Services.GetRequiredService<TaskHubResources>();
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(LargePayloadFlow), 60_000);
        await host.WaitForCompletionAsync(id);

        using var read = await hub.Instances.ReadItemStreamAsync(id, new Microsoft.Azure.Cosmos.PartitionKey(id));
        var document = System.Text.Json.Nodes.JsonNode.Parse(read.Content)!;
        var blobsBefore = await CountBlobsAsync(hub, "instances/");
        await host.Client.PurgeInstanceAsync(id);
        var blobsAfter = await CountBlobsAsync(hub, "instances/");

        Assert.NotNull(document["payloadBlob"]);
        Assert.Equal(1, blobsBefore);
        Assert.Equal(0, blobsAfter);
    }

    [Fact]
    public async Task PoisonAsync_MessageAlwaysFailing_StoredWithReasonAndRemovedFromQueue()
    {
        await using var host = await StartAsync(workers: 0);
        var dispatcher = host.Services.GetRequiredService<StorageQueueDispatcher>();
        var hub = host.Services.GetRequiredService<TaskHubResources>();
        var message = new TaskMessage("poison-1", "nobody", "e1", new TaskScheduledEvent(1, DateTime.UtcNow, "Greet", "\"x\""));
        await dispatcher.SendAsync(DispatchQueue.Control, message, null, CancellationToken.None);
        var lease = await ReceiveAsync(dispatcher);

        await dispatcher.PoisonAsync(lease, "test reason", CancellationToken.None);

        var blob = Assert.Single(await ListBlobsAsync(hub));
        var content = (await hub.Poison.GetBlobClient(blob).DownloadContentAsync()).Value.Content.ToString();
        Assert.Contains("test reason", content, StringComparison.Ordinal);
        Assert.Contains("poison-1", content, StringComparison.Ordinal);
        Assert.Null(await dispatcher.ReceiveAsync(DispatchQueue.Control, TimeSpan.FromSeconds(5), CancellationToken.None));
    }

    [Fact]
    public async Task ReceiveAsync_LeaseNotCompleted_RedeliveredWithHigherDequeueCount()
    {
        await using var host = await StartAsync(workers: 0);
        var dispatcher = host.Services.GetRequiredService<StorageQueueDispatcher>();
        var message = new TaskMessage("redeliver-1", "someone", "e1", new EventRaisedEvent(-1, DateTime.UtcNow, "x", null));
        await dispatcher.SendAsync(DispatchQueue.WorkItem, message, null, CancellationToken.None);

        var first = await ReceiveAsync(dispatcher, DispatchQueue.WorkItem, TimeSpan.FromSeconds(1));
        var second = await ReceiveAsync(dispatcher, DispatchQueue.WorkItem, TimeSpan.FromSeconds(30));
        await dispatcher.CompleteAsync(second, CancellationToken.None);

        Assert.Equal(first.Message, second.Message);
        Assert.Equal(2, second.DequeueCount);
    }

    [Fact]
    public async Task SendLeasedAsync_HeldWorkItems_InvisibleUntilSettledAndAbandonedOneComesBack()
    {
        await using var host = await StartAsync(workers: 0);
        var dispatcher = host.Services.GetRequiredService<StorageQueueDispatcher>();
        var messages = Enumerable.Range(0, 3)
            .Select(i => new TaskMessage($"held-{i}", "someone", "e1", new TaskScheduledEvent(i, DateTime.UtcNow, "Greet", $"\"{i}\"")))
            .ToList();

        // Overlapping sends, as the commits of several instances: they may share envelopes.
        var leases = await Task.WhenAll(messages.Select(m => dispatcher.SendLeasedAsync(DispatchQueue.WorkItem, m, TimeSpan.FromSeconds(30), CancellationToken.None)));
        Assert.Equal(messages, leases.Select(l => l.Message));
        Assert.Null(await dispatcher.ReceiveAsync(DispatchQueue.WorkItem, TimeSpan.FromSeconds(30), CancellationToken.None));

        // Settled as a held work item is: two results committed, one lost.
        await dispatcher.CompleteAsync(leases[0], CancellationToken.None);
        await dispatcher.CompleteAsync(leases[1], CancellationToken.None);
        await dispatcher.AbandonAsync(leases[2], CancellationToken.None);

        // The abandoned one runs again (envelope mates too, at least once); once completed, nothing is left.
        var redelivered = new List<MessageLease> { await ReceiveAsync(dispatcher, DispatchQueue.WorkItem) };
        while (await dispatcher.ReceiveAsync(DispatchQueue.WorkItem, TimeSpan.FromSeconds(30), CancellationToken.None) is { } more)
        {
            redelivered.Add(more);
        }

        Assert.Contains(redelivered, l => l.Message.Id == "held-2");
        Assert.All(redelivered, l => Assert.Contains(l.Message, messages));
        foreach (var lease in redelivered)
        {
            await dispatcher.CompleteAsync(lease, CancellationToken.None);
        }

        Assert.Null(await dispatcher.ReceiveAsync(DispatchQueue.WorkItem, TimeSpan.FromSeconds(30), CancellationToken.None));
    }

    [Fact]
    public async Task RenewAsync_PastFirstTimeout_StaysInvisibleAndOriginalLeaseDeletesIt()
    {
        await using var host = await StartAsync(workers: 0);
        var dispatcher = host.Services.GetRequiredService<StorageQueueDispatcher>();
        var hub = host.Services.GetRequiredService<TaskHubResources>();
        await dispatcher.SendAsync(DispatchQueue.WorkItem, new TaskMessage("renew-1", "someone", "e1", new EventRaisedEvent(-1, DateTime.UtcNow, "x", null)), null, CancellationToken.None);
        var lease = await ReceiveAsync(dispatcher, DispatchQueue.WorkItem, TimeSpan.FromSeconds(4));

        await Task.Delay(TimeSpan.FromSeconds(2));
        var renewed = await dispatcher.RenewAsync(lease, TimeSpan.FromSeconds(8), CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(3));
        await AssertNothingVisibleAsync(dispatcher, DispatchQueue.WorkItem);

        // The lease id still holds the first pop receipt; the delete must use the renewed one.
        await dispatcher.CompleteAsync(lease, CancellationToken.None);

        Assert.True(renewed);
        Assert.Equal(0, await CountMessagesAsync(hub.WorkItems));
    }

    [Fact]
    public async Task RenewAsync_SharedEnvelopeParts_AllKeptUntilSettledAndSettledPartLost()
    {
        await using var host = await StartAsync(workers: 0);
        var dispatcher = host.Services.GetRequiredService<StorageQueueDispatcher>();
        var hub = host.Services.GetRequiredService<TaskHubResources>();
        var messages = Enumerable.Range(0, 20)
            .Select(i => new TaskMessage($"renew-part-{i}", "someone", "e1", new TaskScheduledEvent(i, DateTime.UtcNow, "Greet", $"\"{i}\""))).ToList();

        // Overlapping sends: the first goes alone, the others wait for it and share the next envelope.
        var leases = await Task.WhenAll(messages.Select(m => dispatcher.SendLeasedAsync(DispatchQueue.WorkItem, m, TimeSpan.FromSeconds(4), CancellationToken.None)));
        var queueMessages = await CountMessagesAsync(hub.WorkItems);
        await Task.Delay(TimeSpan.FromSeconds(2));
        var renewed = await Task.WhenAll(leases.Select(l => dispatcher.RenewAsync(l, TimeSpan.FromSeconds(8), CancellationToken.None)));
        await dispatcher.CompleteAsync(leases[1], CancellationToken.None);
        var settledPart = await dispatcher.RenewAsync(leases[1], TimeSpan.FromSeconds(8), CancellationToken.None);
        var envelopeMate = await dispatcher.RenewAsync(leases[2], TimeSpan.FromSeconds(8), CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(3));
        await AssertNothingVisibleAsync(dispatcher, DispatchQueue.WorkItem);

        // Settled with copies of the leases, as the worker does with a result in place of the work item.
        foreach (var lease in leases.Where((_, i) => i != 1))
        {
            await dispatcher.CompleteAsync(lease with { Message = messages[0] }, CancellationToken.None);
        }

        Assert.InRange(queueMessages, 2, 19);
        Assert.All(renewed, Assert.True);
        Assert.False(settledPart);
        Assert.True(envelopeMate);
        Assert.Equal(0, await CountMessagesAsync(hub.WorkItems));
    }

    [Fact]
    public async Task ReceiveAsync_LeaseWaitedInPrefetchBufferPastHalfItsTimeout_RenewedBeforeHandedOut()
    {
        await using var host = await StartAsync(workers: 0);
        var dispatcher = host.Services.GetRequiredService<StorageQueueDispatcher>();
        var hub = host.Services.GetRequiredService<TaskHubResources>();
        foreach (var name in new[] { "prefetch-1", "prefetch-2" })
        {
            await dispatcher.SendAsync(DispatchQueue.WorkItem, new TaskMessage(name, "someone", "e1", new EventRaisedEvent(-1, DateTime.UtcNow, name, null)), null, CancellationToken.None);
        }

        // One poll fetches both; the second waits in the buffer while its 6 s lease runs down.
        var first = await ReceiveAsync(dispatcher, DispatchQueue.WorkItem, TimeSpan.FromSeconds(6));
        await dispatcher.CompleteAsync(first, CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(3.5));
        var second = await ReceiveAsync(dispatcher, DispatchQueue.WorkItem, TimeSpan.FromSeconds(6));
        await Task.Delay(TimeSpan.FromSeconds(3));
        await AssertNothingVisibleAsync(dispatcher, DispatchQueue.WorkItem);
        await dispatcher.CompleteAsync(second, CancellationToken.None);

        Assert.NotEqual(first.Message.Id, second.Message.Id);
        Assert.Equal(0, await CountMessagesAsync(hub.WorkItems));
    }

    [Fact]
    public async Task RenewAsync_SettledLease_ReturnsFalse()
    {
        await using var host = await StartAsync(workers: 0);
        var dispatcher = host.Services.GetRequiredService<StorageQueueDispatcher>();
        await dispatcher.SendAsync(DispatchQueue.Control, new TaskMessage("renew-settled-1", "someone", "e1", new EventRaisedEvent(-1, DateTime.UtcNow, "x", null)), null, CancellationToken.None);
        await dispatcher.SendAsync(DispatchQueue.Control, new TaskMessage("renew-settled-2", "someone", "e1", new EventRaisedEvent(-1, DateTime.UtcNow, "y", null)), null, CancellationToken.None);
        var completed = await ReceiveAsync(dispatcher);
        var abandoned = await ReceiveAsync(dispatcher);

        await dispatcher.CompleteAsync(completed, CancellationToken.None);
        await dispatcher.AbandonAsync(abandoned, CancellationToken.None);

        Assert.False(await dispatcher.RenewAsync(completed, TimeSpan.FromSeconds(30), CancellationToken.None));
        Assert.False(await dispatcher.RenewAsync(abandoned, TimeSpan.FromSeconds(30), CancellationToken.None));
    }

    /// <summary>Receives for a while (the pump polls with backoff) and expects nothing.</summary>
    private static async Task AssertNothingVisibleAsync(StorageQueueDispatcher dispatcher, DispatchQueue queue)
    {
        var until = DateTime.UtcNow.AddMilliseconds(500);
        while (DateTime.UtcNow < until)
        {
            Assert.Null(await dispatcher.ReceiveAsync(queue, TimeSpan.FromSeconds(30), CancellationToken.None));
        }
    }

    /// <summary>Queue messages stored, visible or not: a deleted one no longer counts.</summary>
    private static async Task<int> CountMessagesAsync(global::Azure.Storage.Queues.QueueClient queue) =>
        (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount;

    private static async Task<MessageLease> ReceiveAsync(StorageQueueDispatcher dispatcher, DispatchQueue queue = DispatchQueue.Control, TimeSpan? visibility = null)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            if (await dispatcher.ReceiveAsync(queue, visibility ?? TimeSpan.FromSeconds(30), cts.Token) is { } lease)
            {
                return lease;
            }
        }
    }

    private static async Task<List<string>> ListBlobsAsync(TaskHubResources hub)
    {
        var names = new List<string>();
        await foreach (var item in hub.Poison.GetBlobsAsync(BlobTraits.None, BlobStates.None, null, CancellationToken.None))
        {
            names.Add(item.Name);
        }

        return names;
    }

    private static async Task<int> CountBlobsAsync(TaskHubResources hub, string prefix)
    {
        var count = 0;
        await foreach (var _ in hub.Payloads.GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix, CancellationToken.None))
        {
            count++;
        }

        return count;
    }
}
