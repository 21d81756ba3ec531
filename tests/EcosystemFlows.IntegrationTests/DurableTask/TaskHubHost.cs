using Azure.Core;
using EcosystemFlows.Azure.Configuration;
using EcosystemFlows.Azure.Storage;
using EcosystemFlows.DurableTask.Hosting;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Converters;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EcosystemFlows.IntegrationTests.DurableTask;

/// <summary>
/// The app's Durable Task hosting (SDK worker and client on the Durable Task Framework) on Azurite, with a task
/// hub of its own per test, deleted on dispose, so tests run in parallel without seeing each other.
/// </summary>
public sealed class TaskHubHost : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly List<IHostedService> _hosted;

    private TaskHubHost(ServiceProvider services, List<IHostedService> hosted)
    {
        _services = services;
        _hosted = hosted;
    }

    public DurableTaskClient Client => _services.GetRequiredService<DurableTaskClient>();

    public TaskHubService Hub => _services.GetRequiredService<TaskHubService>();

    public static async Task<TaskHubHost> StartAsync(Action<DurableTaskRegistry> registerTasks, string? hubName = null, string? workerId = null)
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["extensions:durableTask:hubName"] = hubName ?? LocalServices.UniqueName("it"),
            ["extensions:durableTask:workerId"] = workerId ?? Guid.NewGuid().ToString("N"),
            ["extensions:durableTask:extendedSessionsEnabled"] = "true",
            ["extensions:durableTask:storageProvider:partitionCount"] = "2",
            ["extensions:durableTask:storageProvider:maxQueuePollingInterval"] = "00:00:00.100",
        }).Build());
        services.AddSingleton(Options.Create(new StorageOptions { ConnectionString = LocalServices.StorageConnectionString }));
        services.AddSingleton<TokenCredential>(AzureCredentials.Create());
        services.AddDurableTaskOnAzureStorage(registerTasks, JsonDataConverter.Default);
        var provider = services.BuildServiceProvider(validateScopes: true);
        var hosted = provider.GetServices<IHostedService>().ToList();
        foreach (var service in hosted)
        {
            await service.StartAsync(CancellationToken.None);
        }

        return new TaskHubHost(provider, hosted);
    }

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
    public async Task StopAsync()
    {
        foreach (var service in _hosted)
        {
            await service.StopAsync(CancellationToken.None);
        }

        _hosted.Clear();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await Hub.Service.DeleteAsync();
        await _services.DisposeAsync();
    }
}
