using System.Text.Json;
using EcosystemFlows.DurableTask.Hosting;
using EcosystemFlows.Tests.Shared;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EcosystemFlows.Bench.DurableTask;

/// <summary>
/// The benchmark's flows on the app's Durable Task hosting on Azurite (<see cref="StandaloneTaskHub"/>), configured from a
/// flat <c>extensions:durableTask</c> settings dictionary. With <c>startWorker: false</c> it is a client only (the
/// cross-process event raiser).
/// </summary>
internal sealed class BenchHost : IAsyncDisposable
{
    private readonly StandaloneTaskHub _hub;

    private BenchHost(StandaloneTaskHub hub) => _hub = hub;

    public DurableTaskClient Client => _hub.Client;

    public TaskHubService Hub => _hub.Hub;

    public LatencyProbe Probe => _hub.Services.GetRequiredService<LatencyProbe>();

    public DurableTaskHubOptions Options => _hub.Services.GetRequiredService<IOptions<DurableTaskHubOptions>>().Value;

    public static async Task<BenchHost> StartAsync(IReadOnlyDictionary<string, string?> settings, string storageConnectionString, bool startWorker) =>
        new(await StandaloneTaskHub.StartAsync(
            settings,
            storageConnectionString,
            r => r.AddOrchestrator<SequentialFlow>().AddOrchestrator<FanOutFlow>().AddOrchestrator<EventsFlow>()
                .AddOrchestrator<Hello5Flow>().AddOrchestrator<PingFlow>().AddOrchestrator<IdleFlow>()
                .AddActivity<Noop>().AddActivity<SayHello>().AddActivity<Mark>(),
            // Under a burst of starts the provider abandons some start messages for a retry and warns for each
            // (hundreds of lines in the idle-instances step; the instances all start); its errors still show.
            logging: b => b.AddFilter("DurableTask.AzureStorage", LogLevel.Error).AddSimpleConsole(o => o.SingleLine = true),
            configureServices: s => s.AddSingleton<LatencyProbe>(),
            startWorker: startWorker));

    /// <summary>Stops the worker (in-flight work finishes).</summary>
    public Task StopAsync() => _hub.StopAsync();

    /// <summary>Stops the worker and deletes the task hub (queues, tables, containers).</summary>
    public async Task DeleteHubAsync()
    {
        await _hub.StopAsync();
        await Hub.Service.DeleteAsync();
    }

    public ValueTask DisposeAsync() => _hub.DisposeAsync();

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
