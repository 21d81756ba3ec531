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

namespace EcosystemFlows.Tests.Shared;

/// <summary>
/// The app's Durable Task hosting (<see cref="DurableTaskHostingExtensions.AddDurableTaskOnAzureStorage"/>) on its own,
/// in a plain service collection on Azurite, configured from <c>extensions:durableTask</c> settings: what the engine
/// tests and the durable benchmark run. Disposing stops the worker; the task hub is the caller's to delete.
/// </summary>
internal sealed class StandaloneTaskHub : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly List<IHostedService> _hosted;

    private StandaloneTaskHub(ServiceProvider services, List<IHostedService> hosted)
    {
        _services = services;
        _hosted = hosted;
    }

    public IServiceProvider Services => _services;

    public DurableTaskClient Client => _services.GetRequiredService<DurableTaskClient>();

    public TaskHubService Hub => _services.GetRequiredService<TaskHubService>();

    /// <summary>
    /// Builds the hosting with <paramref name="registerTasks"/>, validates its options, creates the hub and, unless
    /// <paramref name="startWorker"/> is false (a client only), starts the worker.
    /// </summary>
    public static async Task<StandaloneTaskHub> StartAsync(
        IReadOnlyDictionary<string, string?> settings,
        string storageConnectionString,
        Action<DurableTaskRegistry> registerTasks,
        Action<ILoggingBuilder>? logging = null,
        Action<IServiceCollection>? configureServices = null,
        bool startWorker = true)
    {
        var services = new ServiceCollection();
        services.AddLogging(b =>
        {
            b.SetMinimumLevel(LogLevel.Warning);
            logging?.Invoke(b);
        });
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddSingleton(Options.Create(new StorageOptions { ConnectionString = storageConnectionString }));
        services.AddSingleton<TokenCredential>(AzureCredentials.Create());
        configureServices?.Invoke(services);
        services.AddDurableTaskOnAzureStorage(registerTasks, JsonDataConverter.Default);
        var provider = services.BuildServiceProvider(validateScopes: true);

        // Options are validated here (ValidateOnStart only runs with a generic host): a wrong setting fails now.
        _ = provider.GetRequiredService<IOptions<DurableTaskHubOptions>>().Value;
        await provider.GetRequiredService<TaskHubService>().EnsureCreatedAsync(CancellationToken.None);
        var hosted = startWorker ? provider.GetServices<IHostedService>().ToList() : [];
        foreach (var service in hosted)
        {
            await service.StartAsync(CancellationToken.None);
        }

        return new StandaloneTaskHub(provider, hosted);
    }

    /// <summary>Stops the worker (in-flight work finishes) without deleting the hub: another worker may take it over.</summary>
    public async Task StopAsync()
    {
        foreach (var service in _hosted)
        {
            try
            {
                await service.StopAsync(CancellationToken.None);
            }
            catch (OperationCanceledException)
            {
                // The worker's background loops end by cancellation; nothing was lost.
            }
        }

        _hosted.Clear();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _services.DisposeAsync();
    }
}
