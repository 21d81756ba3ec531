using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using EcosystemFlows.Azure.Durable;
using EcosystemFlows.Durable.History;
using EcosystemFlows.Durable.Ports;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Options;

namespace EcosystemFlows.Bench.Faults;

/// <summary>
/// What an unsettled offering's orchestration waits for, read from its instance document the way the app reads it: the
/// open work (activities and timers scheduled without a result), the events it holds, its outbox and inbox, and the
/// messages left in the task hub's queues, and the app log's last lines about it. A failed run on a machine that is gone
/// (CI) then says where to look.
/// </summary>
internal static class StuckDiagnosis
{
    private const int LogLinesPerInstance = 25;

    public static async Task<IReadOnlyList<string>> DescribeAsync(CosmosClient cosmos, string taskHub, IEnumerable<string> instanceIds, string appLog)
    {
        var log = File.Exists(appLog) ? await File.ReadAllLinesAsync(appLog) : [];
        var options = Options.Create(new DurableStorageOptions { TaskHubName = taskHub, DatabaseName = taskHub });
        var hub = new TaskHubResources(cosmos, new QueueServiceClient(Services.StorageConnectionString), new BlobServiceClient(Services.StorageConnectionString), options);
        var store = new CosmosInstanceStore(hub);
        var lines = new List<string>();
        foreach (var id in instanceIds)
        {
            var stored = await store.GetAsync(id, CancellationToken.None);
            lines.Add(stored is null ? $"{id}: no instance document" : Describe(stored.State));
            lines.AddRange(log.Where(l => l.Contains(id, StringComparison.Ordinal)).TakeLast(LogLinesPerInstance).Select(l => $"  log: {l}"));
        }

        var queued = new List<string>();
        foreach (var queue in hub.ControlQueues.Append(hub.WorkItems))
        {
            var properties = await queue.GetPropertiesAsync();
            queued.Add($"{queue.Name} {properties.Value.ApproximateMessagesCount}");
        }

        lines.Add($"task hub queues (approximate messages, visible or not): {string.Join(", ", queued)}");
        return lines;
    }

    private static string Describe(InstanceState state)
    {
        var results = state.History.Select(e => e switch
        {
            TaskCompletedEvent c => c.TaskScheduledId,
            TaskFailedEvent f => f.TaskScheduledId,
            TimerFiredEvent t => t.TimerId,
            _ => (int?)null,
        }).OfType<int>().ToHashSet();
        var open = state.History.OfType<TaskScheduledEvent>().Where(s => !results.Contains(s.EventId)).Select(s => $"activity {s.Name}#{s.EventId}")
            .Concat(state.History.OfType<TimerCreatedEvent>().Where(t => !results.Contains(t.EventId)).Select(t => $"timer#{t.EventId} at {t.FireAt:O}"));
        var events = state.History.OfType<EventRaisedEvent>().Select(e => e.Name);
        var outbox = state.Outbox.Select(m => $"{m.Queue}:{m.Message.Event.GetType().Name}:{m.Message.Id}");
        return $"{state.InstanceId}: {state.Status}, execution {state.ExecutionId}, {state.History.Count} history events, last update {state.LastUpdatedTime:O}; " +
            $"open: [{string.Join(", ", open)}]; events raised: [{string.Join(", ", events)}]; inbox {state.Inbox.Count}; " +
            $"outbox: [{string.Join(", ", outbox)}]; last processed: [{string.Join(", ", state.ProcessedMessageIds.TakeLast(6))}]";
    }
}
