using System.Text.Json;
using Azure.Core;
using EcosystemFlows.Azure.Configuration;
using EcosystemFlows.Azure.Storage;
using EcosystemFlows.DurableTask.Hosting;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Converters;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EcosystemFlows.Bench.DurableTask;

/// <summary>
/// The app's Durable Task hosting (<see cref="DurableTaskHostingExtensions.AddDurableTaskOnAzureStorage"/>) in a plain
/// service collection on Azurite, configured from a flat <c>extensions:durableTask</c> settings dictionary. With
/// <c>startWorker: false</c> it is a client only (the cross-process event raiser).
/// </summary>
internal sealed class BenchHost : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly List<IHostedService> _hosted;

    private BenchHost(ServiceProvider services, List<IHostedService> hosted)
    {
        _services = services;
        _hosted = hosted;
    }

    public DurableTaskClient Client => _services.GetRequiredService<DurableTaskClient>();

    public TaskHubService Hub => _services.GetRequiredService<TaskHubService>();

    public LatencyProbe Probe => _services.GetRequiredService<LatencyProbe>();

    public DurableTaskHubOptions Options => _services.GetRequiredService<IOptions<DurableTaskHubOptions>>().Value;

    public static async Task<BenchHost> StartAsync(IReadOnlyDictionary<string, string?> settings, string storageConnectionString, bool startWorker)
    {
        var services = new ServiceCollection();
        // Under a burst of starts the provider abandons some start messages for a retry and warns for each (hundreds of
        // lines in the idle-instances step; the instances all start); its errors still show.
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning).AddFilter("DurableTask.AzureStorage", LogLevel.Error).AddSimpleConsole(o => o.SingleLine = true));
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddSingleton(Microsoft.Extensions.Options.Options.Create(new StorageOptions { ConnectionString = storageConnectionString }));
        services.AddSingleton<TokenCredential>(AzureCredentials.Create());
        services.AddSingleton<LatencyProbe>();
        services.AddDurableTaskOnAzureStorage(
            r => r.AddOrchestrator<SequentialFlow>().AddOrchestrator<FanOutFlow>().AddOrchestrator<EventsFlow>()
                .AddOrchestrator<Hello5Flow>().AddOrchestrator<PingFlow>().AddOrchestrator<IdleFlow>()
                .AddActivity<Noop>().AddActivity<SayHello>().AddActivity<Mark>(),
            JsonDataConverter.Default);
        var provider = services.BuildServiceProvider(validateScopes: true);
        var hosted = startWorker ? provider.GetServices<IHostedService>().ToList() : [];
        foreach (var service in hosted)
        {
            await service.StartAsync(CancellationToken.None);
        }

        // Options are validated here too (ValidateOnStart only runs with a host): a wrong host.json fails now.
        _ = provider.GetRequiredService<IOptions<DurableTaskHubOptions>>().Value;
        await provider.GetRequiredService<TaskHubService>().EnsureCreatedAsync(CancellationToken.None);
        return new BenchHost(provider, hosted);
    }

    /// <summary>Stops the worker (in-flight work finishes); a cancellation while stopping is the normal end, not an error.</summary>
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

    /// <summary>Stops the worker and deletes the task hub (queues, tables, containers).</summary>
    public async Task DeleteHubAsync()
    {
        await StopAsync();
        await Hub.Service.DeleteAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _services.DisposeAsync();
    }

    /// <summary>
    /// host.json's <c>extensions.durableTask</c> object as configuration keys (<c>extensions:durableTask:…</c>), the
    /// way the Functions host and the local host bind it; values as their JSON text.
    /// </summary>
    public static Dictionary<string, string?> ReadHostJson(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (document.RootElement.TryGetProperty("extensions", out var extensions) && extensions.TryGetProperty("durableTask", out var durableTask))
        {
            Flatten(durableTask, DurableTaskHubOptions.SectionName, settings);
        }

        return settings;
    }

    private static void Flatten(JsonElement element, string prefix, Dictionary<string, string?> into)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    Flatten(property.Value, $"{prefix}:{property.Name}", into);
                }

                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    Flatten(item, $"{prefix}:{index++}", into);
                }

                break;
            case JsonValueKind.String:
                into[prefix] = element.GetString();
                break;
            case JsonValueKind.Null:
                into[prefix] = null;
                break;
            default:
                into[prefix] = element.GetRawText();
                break;
        }
    }
}
