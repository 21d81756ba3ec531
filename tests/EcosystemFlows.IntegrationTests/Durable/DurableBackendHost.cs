using EcosystemFlows.Azure.Configuration;
using EcosystemFlows.Azure.Cosmos;
using EcosystemFlows.Azure.Durable;
using EcosystemFlows.Azure.Storage;
using EcosystemFlows.Durable;
using EcosystemFlows.Durable.InMemory;
using EcosystemFlows.Durable.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace EcosystemFlows.IntegrationTests.Durable;

/// <summary>Which backend a scenario runs on.</summary>
public enum DurableBackend
{
    InMemory,
    Azure,
}

/// <summary>
/// A task hub with real-time workers on one backend. The Azure one gets its own Cosmos database and queue/
/// container prefix (task hub name), deleted on dispose, so tests run in parallel without seeing each other.
/// </summary>
public sealed class DurableBackendHost : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly List<DurableWorker> _workers;

    private DurableBackendHost(ServiceProvider services, List<DurableWorker> workers)
    {
        _services = services;
        _workers = workers;
    }

    public DurableTaskClient Client => _services.GetRequiredService<DurableTaskClient>();

    public IServiceProvider Services => _services;

    public static async Task<DurableBackendHost> StartAsync(
        DurableBackend backend,
        int workers = 1,
        Action<DurableStorageOptions>? configureStorage = null,
        Action<DurableTaskOptions>? configureRuntime = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        var builder = services.AddDurableTask(ScenarioRegistration.RegisterAll);
        services.Configure<DurableTaskOptions>(o =>
        {
            o.ClientPollingInterval = TimeSpan.FromMilliseconds(20);
            o.VisibilityTimeout = TimeSpan.FromSeconds(10);
            configureRuntime?.Invoke(o);
        });
        if (backend == DurableBackend.InMemory)
        {
            builder.UseInMemoryBackend();
        }
        else
        {
            AddAzureClients(services);
            var hub = LocalServices.UniqueName("it");
            builder.UseAzureStorageBackend(sectionPath: null, configure: o =>
            {
                o.TaskHubName = hub;
                o.DatabaseName = hub;
                o.MaxPollingInterval = TimeSpan.FromMilliseconds(100);
                configureStorage?.Invoke(o);
            });
        }

        var provider = services.BuildServiceProvider(validateScopes: true);
        var started = new List<DurableWorker>();
        for (var i = 0; i < workers; i++)
        {
            var worker = ActivatorUtilities.CreateInstance<DurableWorker>(provider);
            await worker.StartAsync(CancellationToken.None);
            started.Add(worker);
        }

        return new DurableBackendHost(provider, started);
    }

    /// <summary>The app's client factories (short timeouts, retry) pointed at the local stand-ins.</summary>
    public static void AddAzureClients(IServiceCollection services)
    {
        var storage = new StorageOptions { ConnectionString = LocalServices.StorageConnectionString, NetworkTimeout = TimeSpan.FromSeconds(5), MaxRetries = 2 };
        var cosmos = new CosmosOptions { AccountEndpoint = LocalServices.CosmosEndpoint, AccountKey = LocalServices.CosmosKey, DatabaseName = "unused", RequestTimeout = TimeSpan.FromSeconds(10) };

        // Connection string and key are set, so the credential is never asked for a token.
        var credential = AzureCredentials.Create();
        services.AddSingleton(Options.Create(cosmos));
        services.AddSingleton(_ => StorageClients.CreateBlobServiceClient(storage, credential));
        services.AddSingleton(_ => StorageClients.CreateQueueServiceClient(storage, credential));
        services.AddSingleton(_ => CosmosClients.Create(cosmos, credential));
    }

    public async Task<OrchestrationMetadata> WaitForCompletionAsync(string instanceId, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        return await Client.WaitForInstanceCompletionAsync(instanceId, getInputsAndOutputs: true, cts.Token);
    }

    /// <summary>Waits until <paramref name="condition"/> holds for the instance (e.g. a custom status is set).</summary>
    public async Task<OrchestrationMetadata> WaitForAsync(string instanceId, Func<OrchestrationMetadata, bool> condition, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            if (await Client.GetInstanceAsync(instanceId, getInputsAndOutputs: true, cts.Token) is { } metadata && condition(metadata))
            {
                return metadata;
            }

            await Task.Delay(20, cts.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var worker in _workers)
        {
            await worker.DisposeAsync();
        }

        if (_services.GetService<TaskHubResources>() is { } hub)
        {
            await hub.Instances.Database.DeleteAsync();
            foreach (var queue in hub.ControlQueues.Append(hub.WorkItems))
            {
                await queue.DeleteIfExistsAsync();
            }

            await hub.Payloads.DeleteIfExistsAsync();
            await hub.Poison.DeleteIfExistsAsync();
        }

        await _services.DisposeAsync();
    }
}
