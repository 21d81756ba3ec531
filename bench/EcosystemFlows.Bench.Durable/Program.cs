using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using EcosystemFlows.Azure.Configuration;
using EcosystemFlows.Azure.Cosmos;
using EcosystemFlows.Azure.Durable;
using EcosystemFlows.Azure.Storage;
using EcosystemFlows.Bench.Durable;
using EcosystemFlows.Durable;
using EcosystemFlows.Durable.Ports;
using EcosystemFlows.Durable.Worker;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

// Durable runtime benchmark on the Cosmos DB stand-in and Azurite. Every figure is measured in this run,
// including the storage floor (raw Cosmos replace + queue send/receive/delete), so ratios are like for like.
var arguments = Args.Parse(args);
var hub = "bench" + Guid.NewGuid().ToString("N")[..10];
var storageOptions = new StorageOptions { ConnectionString = Env("Storage__ConnectionString", "UseDevelopmentStorage=true"), NetworkTimeout = TimeSpan.FromSeconds(5) };
var cosmosOptions = new CosmosOptions
{
    AccountEndpoint = new Uri(Env("Cosmos__AccountEndpoint", "http://127.0.0.1:8081/")),
    AccountKey = Env("Cosmos__AccountKey", "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw=="),
    DatabaseName = hub,
};
var credential = AzureCredentials.Create();
var services = new ServiceCollection();
services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning).AddSimpleConsole());
services.AddSingleton(Options.Create(cosmosOptions));
services.AddSingleton(_ => StorageClients.CreateBlobServiceClient(storageOptions, credential));
services.AddSingleton(_ => StorageClients.CreateQueueServiceClient(storageOptions, credential));
services.AddSingleton(_ => CosmosClients.Create(cosmosOptions, credential));
services.AddSingleton<LatencyProbe>();
var profile = new PortProfile();
if (arguments.Profile == 1)
{
    // Decorators first: the backend registers with TryAdd, so these wrap the real adapters.
    services.AddSingleton<IInstanceStore>(sp => new ProfiledStore(sp.GetRequiredService<CosmosInstanceStore>(), profile));
    services.AddSingleton<IMessageDispatcher>(sp => new ProfiledDispatcher(sp.GetRequiredService<StorageQueueDispatcher>(), profile));
}

services.AddDurableTask(r => r
        .AddOrchestrator<SequentialFlow>().AddOrchestrator<FanOutFlow>().AddOrchestrator<Hello5Flow>()
        .AddOrchestrator<EventsFlow>().AddOrchestrator<PingFlow>().AddOrchestrator<IdleFlow>()
        .AddActivity<Noop>().AddActivity<SayHello>().AddActivity<Mark>())
    .UseAzureStorageBackend(sectionPath: null, configure: o =>
    {
        o.TaskHubName = hub;
        o.MaxInlineDocumentBytes = arguments.InlineKb * 1024;
    });
services.Configure<DurableTaskOptions>(o =>
{
    o.MaxConcurrentOrchestrations = 32;
    o.MaxConcurrentActivities = arguments.Activities;
    o.ClientPollingInterval = TimeSpan.FromMilliseconds(10);
});
await using var provider = services.BuildServiceProvider();
var client = provider.GetRequiredService<DurableTaskClient>();
var resources = provider.GetRequiredService<TaskHubResources>();
await resources.EnsureCreatedAsync(CancellationToken.None);
var results = new JsonObject();
var details = new JsonObject { ["task_hub"] = hub, ["measured_at"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture) };

try
{
    var floor = await StorageFloorAsync(resources, arguments.FloorSteps);
    results["storage_floor_steps_per_s"] = Math.Round(floor, 1);
    Report("storage floor (Cosmos replace + queue send/receive/delete)", floor, "steps/s");

    // The same sequence without pipelined steps first, in this run, so the gain is a ratio and not two machines' moods.
    var unpipelined = 0.0;
    if (arguments.Sequential > 0)
    {
        var options = provider.GetRequiredService<IOptions<DurableTaskOptions>>().Value;
        var withoutPipelining = new DurableTaskOptions();
        foreach (var property in typeof(DurableTaskOptions).GetProperties().Where(p => p.CanWrite))
        {
            property.SetValue(withoutPipelining, property.GetValue(options));
        }

        withoutPipelining.PipelineSteps = false;
        await using var plain = ActivatorUtilities.CreateInstance<DurableWorker>(provider, Options.Create(withoutPipelining));
        await plain.StartAsync(CancellationToken.None);
        await RunAsync(nameof(SequentialFlow), 5);
        unpipelined = arguments.Sequential / await RunAsync(nameof(SequentialFlow), arguments.Sequential);
        await plain.StopAsync(CancellationToken.None);
        results["sequential_activities_per_s_without_pipelining"] = Math.Round(unpipelined, 1);
        Report($"sequential without pipelined steps ({arguments.Sequential} activities, one instance)", unpipelined, "activities/s");
    }

    var worker = ActivatorUtilities.CreateInstance<DurableWorker>(provider);
    await worker.StartAsync(CancellationToken.None);
    await RunAsync(nameof(SequentialFlow), 5);

    profile.Reset();
    var sequential = arguments.Sequential == 0 ? 0 : arguments.Sequential / await RunAsync(nameof(SequentialFlow), arguments.Sequential);
    if (arguments.Profile == 1)
    {
        Console.WriteLine("sequential profile:\n" + profile.Report(arguments.Sequential));
    }

    results["sequential_activities_per_s"] = Math.Round(sequential, 1);
    Report($"sequential ({arguments.Sequential} activities, one instance)", sequential, "activities/s");

    profile.Reset();
    var fanout = arguments.FanOut / await RunAsync(nameof(FanOutFlow), arguments.FanOut);
    if (arguments.Profile == 1)
    {
        Console.WriteLine("fan-out profile:\n" + profile.Report(arguments.FanOut));
    }

    results["fanout_activities_per_s"] = Math.Round(fanout, 1);
    Report($"fan-out ({arguments.FanOut} activities, one instance)", fanout, "activities/s");

    profile.Reset();
    var events = await ExternalEventsAsync(arguments.Events);
    if (arguments.Profile == 1)
    {
        Console.WriteLine("external events profile:\n" + profile.Report(arguments.Events));
    }

    results["external_events_per_s"] = Math.Round(events, 1);
    Report($"external events ({arguments.Events} to one instance)", events, "events/s");

    var hello5 = await Hello5Async(arguments.Hello5);
    results["hello5_orchestrations_per_s"] = Math.Round(hello5, 1);
    Report($"hello5 ({arguments.Hello5} instances)", hello5, "orchestrations/s");

    var (p50, p99) = await EventToNextStepAsync(arguments.Pings);
    results["event_to_next_step_ms_p50"] = Math.Round(p50, 1);
    results["event_to_next_step_ms_p99"] = Math.Round(p99, 1);
    Console.WriteLine($"event -> next step ({arguments.Pings} samples): p50 {p50:F1} ms, p99 {p99:F1} ms");

    var reads = await StatusReadsAsync(arguments.Sequential, arguments.StatusReads);
    results["status_reads_per_s"] = Math.Round(reads.Status.PerSecond, 1);
    results["full_reads_per_s"] = Math.Round(reads.Full.PerSecond, 1);
    results["status_read_cpu_us"] = Math.Round(reads.Status.CpuMicroseconds, 0);
    results["full_read_cpu_us"] = Math.Round(reads.Full.CpuMicroseconds, 0);
    results["status_read_cpu_saving"] = Math.Round(reads.Full.CpuMicroseconds / reads.Status.CpuMicroseconds, 2);
    Console.WriteLine(
        $"status reads of a {arguments.Sequential}-activity instance ({arguments.StatusReads} each): client status {reads.Status.PerSecond:F0}/s, {reads.Status.CpuMicroseconds:F0} us CPU; " +
        $"full document {reads.Full.PerSecond:F0}/s, {reads.Full.CpuMicroseconds:F0} us CPU");

    var (idle, growth) = await IdleInstancesAsync(arguments.Idle);
    results["idle_instances"] = idle;
    results["idle_rss_growth_mb"] = Math.Round(growth, 1);
    Console.WriteLine($"idle: {idle} instances waiting on an event, RSS growth {growth:F1} MB");

    results["engine_vs_storage_floor"] = Math.Round(sequential / floor, 2);
    results["pipelining_speedup"] = unpipelined == 0 ? 0 : Math.Round(sequential / unpipelined, 2);
    await worker.DisposeAsync();
}
finally
{
    await resources.Instances.Database.DeleteAsync();
    foreach (var queue in resources.ControlQueues.Append(resources.WorkItems))
    {
        await queue.DeleteIfExistsAsync();
    }

    await resources.Payloads.DeleteIfExistsAsync();
    await resources.Poison.DeleteIfExistsAsync();
}

results["machine"] = new JsonObject
{
    ["cores"] = Environment.ProcessorCount,
    ["os"] = RuntimeInformation.OSDescription,
    ["runtime"] = RuntimeInformation.FrameworkDescription,
    ["cpu"] = CpuModel(),
};
results["commit"] = arguments.Commit;
details["settings"] = JsonSerializer.SerializeToNode(arguments);
results["durable"] = details;
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(arguments.Out))!);
await File.WriteAllTextAsync(arguments.Out, results.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
if (arguments.Merge is { } merge)
{
    // Other benchmarks write their own keys into the same file: replace ours, keep theirs.
    var existing = File.Exists(merge) ? JsonNode.Parse(await File.ReadAllTextAsync(merge))?.AsObject() ?? [] : [];
    Merge(existing, results);

    await File.WriteAllTextAsync(merge, existing.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
}

Console.WriteLine($"wrote {arguments.Out}" + (arguments.Merge is null ? string.Empty : $" and merged into {arguments.Merge}"));
return;

async Task<double> RunAsync(string name, int input)
{
    var stopwatch = Stopwatch.StartNew();
    var id = await client.ScheduleNewOrchestrationInstanceAsync(name, input);
    var result = await WaitAsync(id, TimeSpan.FromMinutes(3));
    if (result.RuntimeStatus != OrchestrationRuntimeStatus.Completed)
    {
        throw new InvalidOperationException($"{name} ended {result.RuntimeStatus}: {result.FailureDetails?.ErrorMessage}");
    }

    return stopwatch.Elapsed.TotalSeconds;
}

async Task<OrchestrationMetadata> WaitAsync(string id, TimeSpan timeout)
{
    using var cts = new CancellationTokenSource(timeout);
    return await client.WaitForInstanceCompletionAsync(id, cancellationToken: cts.Token);
}

async Task<double> ExternalEventsAsync(int count)
{
    var id = await client.ScheduleNewOrchestrationInstanceAsync(nameof(EventsFlow), count);
    while ((await client.GetInstanceAsync(id))?.RuntimeStatus != OrchestrationRuntimeStatus.Running)
    {
        await Task.Delay(5);
    }

    var stopwatch = Stopwatch.StartNew();
    await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) => await client.RaiseEventAsync(id, "e", i, ct));
    await WaitAsync(id, TimeSpan.FromMinutes(3));
    return count / stopwatch.Elapsed.TotalSeconds;
}

async Task<double> Hello5Async(int count)
{
    var stopwatch = Stopwatch.StartNew();
    var ids = new ConcurrentBag<string>();
    await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        ids.Add(await client.ScheduleNewOrchestrationInstanceAsync(nameof(Hello5Flow), $"city{i}", cancellationToken: ct)));
    foreach (var id in ids)
    {
        await WaitAsync(id, TimeSpan.FromMinutes(3));
    }

    return count / stopwatch.Elapsed.TotalSeconds;
}

async Task<(double P50, double P99)> EventToNextStepAsync(int samples)
{
    var probe = provider.GetRequiredService<LatencyProbe>();
    var id = await client.ScheduleNewOrchestrationInstanceAsync(nameof(PingFlow), samples);
    while ((await client.GetInstanceAsync(id))?.RuntimeStatus != OrchestrationRuntimeStatus.Running)
    {
        await Task.Delay(5);
    }

    var latencies = new List<double>();
    for (var i = 0; i < samples; i++)
    {
        var reached = probe.Expect(i);
        var stopwatch = Stopwatch.StartNew();
        await client.RaiseEventAsync(id, "ping", i);
        await reached.WaitAsync(TimeSpan.FromSeconds(30));
        latencies.Add(stopwatch.Elapsed.TotalMilliseconds);

        // Let the activity's result episode finish, so each sample starts from an instance waiting for its event.
        await Task.Delay(20);
    }

    await WaitAsync(id, TimeSpan.FromMinutes(1));
    latencies.Sort();
    return (Percentile(latencies, 0.50), Percentile(latencies, 0.99));
}

// What a status poll costs against a read of the whole document (history included), one after the other on
// the same instance in this run: reads per second and this process's CPU per read.
async Task<(ReadCost Status, ReadCost Full)> StatusReadsAsync(int steps, int reads)
{
    var id = await client.ScheduleNewOrchestrationInstanceAsync(nameof(SequentialFlow), steps);
    await WaitAsync(id, TimeSpan.FromMinutes(3));
    var store = provider.GetRequiredService<IInstanceStore>();
    var full = await MeasureAsync(() => store.GetAsync(id, CancellationToken.None));
    var status = await MeasureAsync(() => client.GetInstanceAsync(id, getInputsAndOutputs: true));
    return (status, full);

    async Task<ReadCost> MeasureAsync(Func<Task> read)
    {
        for (var i = 0; i < 10; i++)
        {
            await read();
        }

        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var stopwatch = Stopwatch.StartNew();
        for (var i = 0; i < reads; i++)
        {
            await read();
        }

        var seconds = stopwatch.Elapsed.TotalSeconds;
        return new ReadCost(reads / seconds, (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMicroseconds / reads);
    }
}

async Task<(int Idle, double GrowthMb)> IdleInstancesAsync(int count)
{
    // A warm-up tenth first, through the same path: what it costs once (thread-pool threads and their stacks,
    // connection pools, JIT, allocator arenas) is not memory held per idle instance, which is what is measured.
    await StartIdleAsync("idlewarm-" + hub + "-", Math.Max(1, count / 10));
    var before = SettledRssMb();
    var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
    var running = await StartIdleAsync("idle-" + hub + "-", count);
    var after = SettledRssMb();
    details["idle_rss_before_mb"] = Math.Round(before, 1);
    details["idle_managed_heap_growth_mb"] = Math.Round((GC.GetTotalMemory(forceFullCollection: true) - heapBefore) / (1024.0 * 1024.0), 1);
    return (running, after - before);
}

// Starts count instances waiting on an event and returns how many reached Running (within 4 minutes).
async Task<int> StartIdleAsync(string prefix, int count)
{
    await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, ct) =>
        await client.ScheduleNewOrchestrationInstanceAsync(nameof(IdleFlow), i, new StartOrchestrationOptions { InstanceId = $"{prefix}{i:D6}" }, ct));
    var deadline = Stopwatch.StartNew();
    var running = 0;
    while (deadline.Elapsed < TimeSpan.FromMinutes(4))
    {
        running = await CountAsync(prefix, OrchestrationRuntimeStatus.Running);
        if (running >= count)
        {
            break;
        }

        await Task.Delay(1000);
    }

    return running;
}

async Task<int> CountAsync(string prefix, OrchestrationRuntimeStatus status)
{
    var count = 0;
    await foreach (var _ in client.GetAllInstancesAsync(new OrchestrationQuery { InstanceIdPrefix = prefix, Statuses = [status], PageSize = 1000 }))
    {
        count++;
    }

    return count;
}

static double SettledRssMb()
{
    // Compacting, so freed heap is returned to the OS and RSS reflects what is still held.
    System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
    GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    GC.WaitForPendingFinalizers();
    GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    using var process = Process.GetCurrentProcess();
    return process.WorkingSet64 / (1024.0 * 1024.0);
}

// Objects merge key by key (so another benchmark's "machine" fields survive); everything else is replaced.
static void Merge(JsonObject target, JsonObject source)
{
    foreach (var (key, value) in source)
    {
        if (value is JsonObject child && target[key] is JsonObject existing)
        {
            Merge(existing, child);
        }
        else
        {
            target[key] = value?.DeepClone();
        }
    }
}

static string CpuModel()
{
    const string cpuInfo = "/proc/cpuinfo";
    var line = File.Exists(cpuInfo) ? File.ReadLines(cpuInfo).FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal)) : null;
    return line?.Split(':', 2)[1].Trim() ?? RuntimeInformation.ProcessArchitecture.ToString();
}

static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

static void Report(string what, double value, string unit) => Console.WriteLine($"{what}: {value:F1} {unit}");

static string Env(string name, string fallback) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : fallback;

static async Task<double> StorageFloorAsync(TaskHubResources resources, int steps)
{
    // One step = what the engine needs at least per orchestration step: a conditional document replace and a
    // queue message sent, received and deleted.
    var container = resources.Instances;
    var queue = resources.WorkItems;
    var id = "floor-" + Guid.NewGuid().ToString("N");
    var document = new JsonObject { ["id"] = id, ["instanceId"] = id, ["payload"] = new string('x', 1024) };
    using var created = await container.CreateItemStreamAsync(Stream(document), new PartitionKey(id));
    var etag = created.Headers.ETag;
    var stopwatch = Stopwatch.StartNew();
    for (var i = 0; i < steps; i++)
    {
        document["step"] = i;
        using var replaced = await container.ReplaceItemStreamAsync(Stream(document), id, new PartitionKey(id), new ItemRequestOptions { IfMatchEtag = etag });
        if (replaced.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"floor replace failed: {replaced.StatusCode}");
        }

        etag = replaced.Headers.ETag;
        await queue.SendMessageAsync($"{{\"step\":{i}}}");
        var message = (await queue.ReceiveMessageAsync(TimeSpan.FromSeconds(30))).Value ?? throw new InvalidOperationException("floor message not received");
        await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
    }

    return steps / stopwatch.Elapsed.TotalSeconds;

    static MemoryStream Stream(JsonObject json) => new(JsonSerializer.SerializeToUtf8Bytes(json));
}

namespace EcosystemFlows.Bench.Durable
{
    /// <summary>Command line: sizes of each measurement, output files and the commit being measured.</summary>
    public sealed record Args(int FloorSteps, int Sequential, int FanOut, int Events, int Hello5, int Pings, int StatusReads, int Idle, int InlineKb, int Activities, int Profile, string Out, string? Merge, string Commit)
    {
        public static Args Parse(string[] args)
        {
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i + 1 < args.Length; i += 2)
            {
                values[args[i].TrimStart('-')] = args[i + 1];
            }

            int Int(string name, int fallback) => values.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
            return new Args(
                Int("floor-steps", 500), Int("sequential", 300), Int("fanout", 1000), Int("events", 1000), Int("hello5", 200), Int("pings", 200), Int("status-reads", 500), Int("idle", 10_000), Int("inline-kb", 256), Int("activities", 16), Int("profile", 0),
                values.GetValueOrDefault("out", "bench/results/durable.json"), values.GetValueOrDefault("merge"), values.GetValueOrDefault("commit", "unknown"));
        }
    }

    /// <summary>One kind of read: how many per second, and this process's CPU time per read.</summary>
    public sealed record ReadCost(double PerSecond, double CpuMicroseconds);

    public sealed class Noop : TaskActivity<int, int>
    {
        public override Task<int> RunAsync(TaskActivityContext context, int input) => Task.FromResult(1);
    }

    public sealed class SayHello : TaskActivity<string, string>
    {
        public override Task<string> RunAsync(TaskActivityContext context, string input) => Task.FromResult($"Hello {input}!");
    }

    /// <summary>Signals the benchmark that the step after event <c>input</c> ran.</summary>
    public sealed class Mark(LatencyProbe probe) : TaskActivity<int, int>
    {
        public override Task<int> RunAsync(TaskActivityContext context, int input)
        {
            probe.Reached(input);
            return Task.FromResult(input);
        }
    }

    public sealed class LatencyProbe
    {
        private readonly ConcurrentDictionary<int, TaskCompletionSource> _waiting = new();

        public Task Expect(int sample) => _waiting.GetOrAdd(sample, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

        public void Reached(int sample) => _waiting.GetOrAdd(sample, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }
}
