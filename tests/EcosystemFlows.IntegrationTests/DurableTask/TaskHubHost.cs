using EcosystemFlows.DurableTask.Hosting;
using EcosystemFlows.Tests.Shared;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace EcosystemFlows.IntegrationTests.DurableTask;

/// <summary>
/// The app's Durable Task hosting (SDK worker and client on the Durable Task Framework) on Azurite, with a task
/// hub of its own per test, deleted on dispose, so tests run in parallel without seeing each other.
/// </summary>
public sealed class TaskHubHost : IAsyncDisposable
{
    private readonly StandaloneTaskHub _hub;

    private TaskHubHost(StandaloneTaskHub hub) => _hub = hub;

    public DurableTaskClient Client => _hub.Client;

    public TaskHubService Hub => _hub.Hub;

    public static async Task<TaskHubHost> StartAsync(Action<DurableTaskRegistry> registerTasks, string? hubName = null, string? workerId = null) =>
        new(await StandaloneTaskHub.StartAsync(
            new Dictionary<string, string?>
            {
                ["extensions:durableTask:hubName"] = hubName ?? LocalServices.UniqueName("it"),
                ["extensions:durableTask:workerId"] = workerId ?? Guid.NewGuid().ToString("N"),
                ["extensions:durableTask:extendedSessionsEnabled"] = "true",
                ["extensions:durableTask:storageProvider:partitionCount"] = "2",
                ["extensions:durableTask:storageProvider:maxQueuePollingInterval"] = "00:00:00.100",
            },
            LocalServices.StorageConnectionString,
            registerTasks));

    public async Task<OrchestrationMetadata> WaitForCompletionAsync(string instanceId, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        return await Client.WaitForInstanceCompletionAsync(instanceId, getInputsAndOutputs: true, cts.Token);
    }

    /// <summary>Waits until <paramref name="condition"/> holds for the instance (e.g. a custom status is set).</summary>
    public async Task<OrchestrationMetadata> WaitForAsync(string instanceId, Func<OrchestrationMetadata, bool> condition, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            if (await Client.GetInstanceAsync(instanceId, getInputsAndOutputs: true, cts.Token) is { } metadata && condition(metadata))
            {
                return metadata;
            }

            await Task.Delay(50, cts.Token);
        }
    }

    /// <summary>The event types of the instance's stored history, oldest first.</summary>
    public async Task<List<string>> HistoryEventTypesAsync(string instanceId) =>
        [.. (await Client.GetOrchestrationHistoryAsync(instanceId)).Select(e => e.EventType.ToString())];

    /// <summary>Stops the worker without deleting the hub (a second host may take it over).</summary>
    public Task StopAsync() => _hub.StopAsync();

    public async ValueTask DisposeAsync()
    {
        await _hub.StopAsync();
        await Hub.Service.DeleteAsync();
        await _hub.DisposeAsync();
    }
}
