using Azure.Storage.Queues;
using DurableTask.Core.History;
using EcosystemFlows.Azure.Configuration;
using EcosystemFlows.Azure.Storage;
using EcosystemFlows.DurableTask.Hosting;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Converters;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EcosystemFlows.Bench.Faults;

/// <summary>
/// What an unsettled offering's orchestration waits for, read from the task hub the way the app reads it: its runtime
/// status and custom status, the open work (activities and timers scheduled without a result) and the events it
/// received, the messages left in the task hub's queues, and the app log's last lines about it. A failed run on a
/// machine that is gone (CI) then says where to look.
/// </summary>
internal static class StuckDiagnosis
{
    private const int LogLinesPerInstance = 25;

    public static async Task<IReadOnlyList<string>> DescribeAsync(string taskHub, IEnumerable<string> instanceIds, string appLog)
    {
        var log = File.Exists(appLog) ? await File.ReadAllLinesAsync(appLog) : [];
        var storage = new StorageOptions { ConnectionString = Services.StorageConnectionString };
        using var hub = TaskHubService.ForAzureStorage(
            new DurableTaskHubOptions { HubName = taskHub, WorkerId = "faults-diagnosis" }, storage, AzureCredentials.Create(), NullLoggerFactory.Instance);
        await using var client = new TaskHubDurableTaskClient(
            "diagnosis", hub, new StaticOptionsMonitor(new DurableTaskClientOptions { DataConverter = JsonDataConverter.Default }), NullLoggerFactory.Instance);
        var lines = new List<string>();
        foreach (var id in instanceIds)
        {
            var instance = await client.GetInstanceAsync(id, getInputsAndOutputs: true);
            lines.Add(instance is null ? $"{id}: no such instance in the task hub" : Describe(instance, await client.GetOrchestrationHistoryAsync(id)));
            lines.AddRange(log.Where(l => l.Contains(id, StringComparison.Ordinal)).TakeLast(LogLinesPerInstance).Select(l => $"  log: {l}"));
        }

        var queues = new QueueServiceClient(Services.StorageConnectionString);
        var queued = new List<string>();
        await foreach (var queue in queues.GetQueuesAsync(prefix: taskHub.ToLowerInvariant()))
        {
            var properties = await queues.GetQueueClient(queue.Name).GetPropertiesAsync();
            queued.Add($"{queue.Name} {properties.Value.ApproximateMessagesCount}");
        }

        lines.Add($"task hub queues (approximate messages, visible or not): {string.Join(", ", queued)}");
        return lines;
    }

    private static string Describe(OrchestrationMetadata instance, IList<HistoryEvent> history)
    {
        var results = history.Select(e => e switch
        {
            TaskCompletedEvent c => c.TaskScheduledId,
            TaskFailedEvent f => f.TaskScheduledId,
            TimerFiredEvent t => t.TimerId,
            _ => (int?)null,
        }).OfType<int>().ToHashSet();
        var open = history.OfType<TaskScheduledEvent>().Where(s => !results.Contains(s.EventId)).Select(s => $"activity {s.Name}#{s.EventId}")
            .Concat(history.OfType<TimerCreatedEvent>().Where(t => !results.Contains(t.EventId)).Select(t => $"timer#{t.EventId} at {t.FireAt:O}"));
        var events = history.OfType<EventRaisedEvent>().Select(e => e.Name);
        return $"{instance.InstanceId}: {instance.RuntimeStatus}, {history.Count} history events, last update {instance.LastUpdatedAt:O}; " +
            $"open: [{string.Join(", ", open)}]; events raised: [{string.Join(", ", events)}]; custom status: {instance.SerializedCustomStatus}";
    }

    private sealed class StaticOptionsMonitor(DurableTaskClientOptions options) : IOptionsMonitor<DurableTaskClientOptions>
    {
        public DurableTaskClientOptions CurrentValue => options;

        public DurableTaskClientOptions Get(string? name) => options;

        public IDisposable? OnChange(Action<DurableTaskClientOptions, string?> listener) => null;
    }
}
