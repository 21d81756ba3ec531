using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using EcosystemFlows.Bench;
using EcosystemFlows.Bench.DurableTask;
using EcosystemFlows.DurableTask.Hosting;
using EcosystemFlows.Tests.Shared;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

// Durable Task benchmark: the app's hosting glue on Azurite, with Durable Functions' default settings and with
// host.json's (extensions:durableTask), each on a fresh task hub of this run, next to the raw storage floor measured
// in the same run, so the ratios are like for like.
// Usage: EcosystemFlows.Bench.DurableTask [--quick] [--record] [--out FILE] [--commit SHA] [--idle-seconds 60]
//        [--wakeups 2] [--idle-instances 10000] [--floor-steps 1000] [--sequential 300] [--fanout 1000] [--events 300]
//        [--hello5 200] [--pings 30] [--host-json host.json] [--azurite-pid PID] [--candidate "key=value;..."]
// Results go to $ECOFLOWS_LOCAL_DIR/bench/durable.json (.local/bench/durable.json) unless --record is given, which
// writes bench/results/durable.json, the committed figures. --out names any other file.
var arguments = Arguments.Parse(args);
if (arguments.Text("raiser", "") is { Length: > 0 } raiserSettings)
{
    return await Raiser.RunChildAsync(raiserSettings);
}

var root = BenchRun.RepositoryRoot();
var localDirectory = Environment.GetEnvironmentVariable("ECOFLOWS_LOCAL_DIR") is { Length: > 0 } local ? local : Path.Combine(root, ".local");
var quick = arguments.Flag("quick");
var bench = new Settings(
    IdleSeconds: arguments.Int("idle-seconds", quick ? 5 : 60),
    Wakeups: arguments.Int("wakeups", 2),
    IdleInstances: arguments.Int("idle-instances", quick ? 200 : 10_000),
    FloorSteps: arguments.Int("floor-steps", quick ? 100 : 1000),
    Sequential: arguments.Int("sequential", quick ? 30 : 300),
    FanOut: arguments.Int("fanout", quick ? 200 : 1000),
    Events: arguments.Int("events", quick ? 100 : 300),
    Hello5: arguments.Int("hello5", quick ? 20 : 200),
    Pings: arguments.Int("pings", quick ? 15 : 30));
var hostJsonPath = arguments.Text("host-json", Path.Combine(root, "host.json"));
var storage = Environment.GetEnvironmentVariable("Storage__ConnectionString") is { Length: > 0 } configured
    ? configured
    : Azurite.ConnectionString(
        Port("ECOFLOWS_AZURITE_BLOB_PORT", "10000"), Port("ECOFLOWS_AZURITE_QUEUE_PORT", "10001"), Port("ECOFLOWS_AZURITE_TABLE_PORT", "10002"));
var azuritePid = arguments.Text("azurite-pid", "") is { Length: > 0 } pidText
    ? int.Parse(pidText, CultureInfo.InvariantCulture)
    : ReadPidFile(Path.Combine(localDirectory, "run", "azurite.pid"));
var stats = new ProcessStats(azuritePid);
var run = Guid.NewGuid().ToString("N")[..8];

// Read before measuring: the source may change while a long run goes on, the binary measured does not.
var commit = arguments.Text("commit", BenchRun.Commit(root));
var started = Stopwatch.StartNew();
var results = new JsonObject();
var details = new JsonObject
{
    ["measured_at"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
    ["azurite_pid"] = stats.AzuritePid,
    ["settings"] = JsonSerializer.SerializeToNode(bench),
};

// Durable Functions' defaults, spelled out (not left to our options class), and host.json's choices as written.
var hostJson = BenchHost.ReadHostJson(hostJsonPath);
var profiles = new List<(string Name, Dictionary<string, string?> Settings)>
{
    ("defaults", new(StringComparer.OrdinalIgnoreCase)
    {
        ["extensions:durableTask:extendedSessionsEnabled"] = "false",
        ["extensions:durableTask:maxConcurrentActivityFunctions"] = (10 * Environment.ProcessorCount).ToString(CultureInfo.InvariantCulture),
        ["extensions:durableTask:maxConcurrentOrchestratorFunctions"] = (10 * Environment.ProcessorCount).ToString(CultureInfo.InvariantCulture),
        ["extensions:durableTask:storageProvider:partitionCount"] = "4",
        ["extensions:durableTask:storageProvider:controlQueueBatchSize"] = "32",
        ["extensions:durableTask:storageProvider:maxQueuePollingInterval"] = "00:00:30",
    }),
    ("ours", hostJson),
};
details["host_json"] = new JsonObject(hostJson.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value)));

// --candidate "storageProvider:maxQueuePollingInterval=00:00:01;extendedSessionsEnabled=true": host.json with these
// changes, measured as a third profile (keys suffixed _candidate), to back a proposed host.json change with figures.
if (arguments.Text("candidate", "") is { Length: > 0 } candidateText)
{
    var candidate = new Dictionary<string, string?>(hostJson, StringComparer.OrdinalIgnoreCase);
    foreach (var pair in candidateText.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
    {
        var (key, value) = pair.Split('=', 2) is [var k, var v] ? (k, v) : throw new ArgumentException($"--candidate: '{pair}' is not key=value");
        candidate[$"{DurableTaskHubOptions.SectionName}:{key}"] = value;
    }

    profiles.Add(("candidate", candidate));
    details["candidate_changes"] = candidateText;
}

var floor = await StorageFloorAsync(storage, run, bench.FloorSteps);
results["storage_floor_steps_per_s"] = Math.Round(floor, 1);
Report($"storage floor (queue send+receive+delete + table upsert, {bench.FloorSteps} steps)", floor, "steps/s");

var figures = new Dictionary<string, Figures>();
foreach (var (name, baseSettings) in profiles)
{
    var settings = new Dictionary<string, string?>(baseSettings, StringComparer.OrdinalIgnoreCase)
    {
        // A task hub of this run per profile (partition count is fixed once a hub exists), deleted at the end.
        ["extensions:durableTask:hubName"] = $"bench{run}{name[0]}",
        ["extensions:durableTask:workerId"] = $"bench-{run}-{name}",
    };
    Console.WriteLine($"--- {name}: task hub {settings["extensions:durableTask:hubName"]}");

    // Waiting instances and cross-process wake-ups for the app's settings (and a candidate), not for the defaults.
    figures[name] = await MeasureProfileAsync(name, settings, appProfile: name != "defaults");
}

var defaults = figures["defaults"];
foreach (var (name, figure) in figures)
{
    var suffix = name == "ours" ? "" : "_" + name;
    results["sequential_activities_per_s" + suffix] = Math.Round(figure.Sequential, 1);
    results["sequential_vs_storage_floor" + suffix] = Math.Round(figure.Sequential / floor, 2);
    results["fanout_activities_per_s" + suffix] = Math.Round(figure.FanOut, 1);
    results["external_events_per_s" + suffix] = Math.Round(figure.Events, 1);
    results["hello5_orchestrations_per_s" + suffix] = Math.Round(figure.Hello5, 1);
    results["event_to_next_step_ms_p50" + suffix] = Math.Round(figure.EventP50, 1);
    results["event_to_next_step_ms_p99" + suffix] = Math.Round(figure.EventP99, 1);
    results["wakeup_after_idle_ms_p99" + suffix] = Math.Round(Percentile(figure.Wakeups, 0.99), 1);
    if (name != "defaults")
    {
        results["wakeup_cross_process_ms_p99" + suffix] = Math.Round(Percentile(figure.CrossProcessWakeups, 0.99), 1);
        results["idle_instances" + suffix] = figure.IdleInstances;
        results["idle_rss_growth_mb" + suffix] = Math.Round(figure.IdleRssGrowthMb, 1);
        results["idle_cpu_percent" + suffix] = figure.IdleCpu.AzuritePercent is { } azuriteCpu ? Math.Round(figure.IdleCpu.AppPercent + azuriteCpu, 1) : null;
        results["goals" + suffix] = Goals(figure);
    }
}

results["idle_seconds"] = bench.IdleSeconds;
results["commit"] = commit;
results["machine"] = new JsonObject
{
    ["cores"] = Environment.ProcessorCount,
    ["os"] = RuntimeInformation.OSDescription,
    ["cpu"] = BenchRun.CpuModel(),
    ["runtime"] = RuntimeInformation.FrameworkDescription,
};
details["duration_s"] = Math.Round(started.Elapsed.TotalSeconds, 0);
results["details"] = details;

var path = arguments.Text("out", arguments.Flag("record")
    ? Path.Combine(root, "bench", "results", "durable.json")
    : Path.Combine(localDirectory, "bench", "durable.json"));
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
await File.WriteAllTextAsync(path, results.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
Console.WriteLine($"wrote {path} ({started.Elapsed.TotalMinutes:0.0} min)");
return 0;

async Task<Figures> MeasureProfileAsync(string name, Dictionary<string, string?> settings, bool appProfile)
{
    var host = await BenchHost.StartAsync(settings, storage, startWorker: true);
    var profile = new JsonObject { ["task_hub"] = host.Hub.HubName, ["options"] = JsonSerializer.SerializeToNode(host.Options) };
    details[name] = profile;
    try
    {
        var client = host.Client;
        await RunAsync(client, nameof(SequentialFlow), 3);

        var sequential = bench.Sequential / await RunAsync(client, nameof(SequentialFlow), bench.Sequential);
        Report($"{name}: sequential ({bench.Sequential} activities, one instance)", sequential, "activities/s");
        var fanOut = bench.FanOut / await RunAsync(client, nameof(FanOutFlow), bench.FanOut);
        Report($"{name}: fan-out/fan-in ({bench.FanOut} activities, one instance)", fanOut, "activities/s");
        var events = await ExternalEventsAsync(client, bench.Events);
        Report($"{name}: external events ({bench.Events} into one instance)", events, "events/s");
        var hello5 = await Hello5Async(client, bench.Hello5);
        Report($"{name}: hello5 ({bench.Hello5} five-step orchestrations at once)", hello5, "orchestrations/s");
        var (p50, p99) = await EventToNextStepAsync(host, bench.Pings);
        Console.WriteLine($"{name}: raise event -> next activity starts, in-process, busy ({bench.Pings} samples): p50 {p50:F1} ms, p99 {p99:F1} ms");

        var idle = 0;
        var growth = 0.0;
        if (appProfile && bench.IdleInstances > 0)
        {
            (idle, growth) = await IdleInstancesAsync(client, bench.IdleInstances, profile);
            Console.WriteLine($"{name}: {idle} instances waiting for an event: RSS growth {growth:F1} MB (created in {profile["idle_instances_running_after_s"]} s)");
        }

        // After idleness: in-process raises, and (ours) raises from another process, alternating, each after a full idle period.
        var crossProcess = appProfile;
        var (inProcess, fromChild, cpu) = await WakeupsAsync(host, settings, crossProcess);
        profile["wakeup_after_idle_ms"] = new JsonArray([.. inProcess.Select(v => (JsonNode)Math.Round(v, 1))]);
        profile["wakeup_cross_process_ms"] = new JsonArray([.. fromChild.Select(v => (JsonNode)Math.Round(v, 1))]);
        profile["rest_cpu_percent_app"] = Math.Round(cpu.AppPercent, 2);
        profile["rest_cpu_percent_azurite"] = cpu.AzuritePercent is { } a ? Math.Round(a, 2) : null;
        profile["rest_cpu_window_s"] = Math.Round(cpu.Seconds, 0);
        profile["rest_waiting_instances"] = idle;
        Console.WriteLine(
            $"{name}: after {bench.IdleSeconds} s idle, raise -> next activity: in-process [{string.Join(", ", inProcess.Select(v => v.ToString("F0", CultureInfo.InvariantCulture)))}] ms" +
            (crossProcess ? $", from another process [{string.Join(", ", fromChild.Select(v => v.ToString("F0", CultureInfo.InvariantCulture)))}] ms" : "") +
            $"; at rest ({idle} waiting instances) CPU app {cpu.AppPercent:F1} % + Azurite {cpu.AzuritePercent?.ToString("F1", CultureInfo.InvariantCulture) ?? "?"} % of a core");
        return new Figures(sequential, fanOut, events, hello5, p50, p99, inProcess, fromChild, idle, growth, cpu);
    }
    finally
    {
        await host.DeleteHubAsync();
        await host.DisposeAsync();
    }
}

async Task<double> RunAsync(DurableTaskClient client, string name, int input)
{
    var stopwatch = Stopwatch.StartNew();
    var id = await client.ScheduleNewOrchestrationInstanceAsync(name, input);
    var result = await WaitAsync(client, id, TimeSpan.FromMinutes(5));
    return result.RuntimeStatus == OrchestrationRuntimeStatus.Completed
        ? stopwatch.Elapsed.TotalSeconds
        : throw new InvalidOperationException($"{name} ended {result.RuntimeStatus}: {result.FailureDetails?.ErrorMessage}");
}

// Polls every 20 ms (the client's own wait polls every 250 ms, which would blur the shorter runs).
static async Task<OrchestrationMetadata> WaitAsync(DurableTaskClient client, string id, TimeSpan timeout)
{
    using var cts = new CancellationTokenSource(timeout);
    while (true)
    {
        if (await client.GetInstanceAsync(id, cts.Token) is { IsRunning: false, RuntimeStatus: not OrchestrationRuntimeStatus.Pending } done)
        {
            return done;
        }

        await Task.Delay(20, cts.Token);
    }
}

static async Task WaitRunningAsync(DurableTaskClient client, string id)
{
    using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
    while ((await client.GetInstanceAsync(id, cts.Token))?.RuntimeStatus != OrchestrationRuntimeStatus.Running)
    {
        await Task.Delay(10, cts.Token);
    }
}

async Task<double> ExternalEventsAsync(DurableTaskClient client, int count)
{
    var id = await client.ScheduleNewOrchestrationInstanceAsync(nameof(EventsFlow), count);
    await WaitRunningAsync(client, id);
    var stopwatch = Stopwatch.StartNew();
    await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) => await client.RaiseEventAsync(id, "e", i, ct));
    await WaitAsync(client, id, TimeSpan.FromMinutes(5));
    return count / stopwatch.Elapsed.TotalSeconds;
}

async Task<double> Hello5Async(DurableTaskClient client, int count)
{
    var stopwatch = Stopwatch.StartNew();
    var ids = new string[count];
    await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        ids[i] = await client.ScheduleNewOrchestrationInstanceAsync(nameof(Hello5Flow), $"city{i}", cancellation: ct));
    foreach (var id in ids)
    {
        await WaitAsync(client, id, TimeSpan.FromMinutes(5));
    }

    return count / stopwatch.Elapsed.TotalSeconds;
}

// Raise an event, then time until the activity it unblocks starts, back to back (the worker is busy, not idle).
async Task<(double P50, double P99)> EventToNextStepAsync(BenchHost host, int samples)
{
    var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(PingFlow), samples);
    await WaitRunningAsync(host.Client, id);
    var latencies = new List<double>();
    for (var i = 0; i < samples; i++)
    {
        var reached = host.Probe.Expect(i);
        var raisedAt = DateTime.UtcNow;
        await host.Client.RaiseEventAsync(id, "ping", i);
        latencies.Add(((await reached.WaitAsync(TimeSpan.FromMinutes(2))) - raisedAt).TotalMilliseconds);

        // Let the activity's result episode finish, so each sample starts from an instance waiting for its event.
        await Task.Delay(50);
    }

    await WaitAsync(host.Client, id, TimeSpan.FromMinutes(1));
    return (Percentile(latencies, 0.50), Percentile(latencies, 0.99));
}

async Task<(List<double> InProcess, List<double> CrossProcess, CpuWindows Cpu)> WakeupsAsync(
    BenchHost host, Dictionary<string, string?> settings, bool crossProcess)
{
    const int FirstSample = 1_000_000;
    var count = crossProcess ? 2 * bench.Wakeups : bench.Wakeups;
    var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(PingFlow), count);
    await WaitRunningAsync(host.Client, id);
    await using var raiser = crossProcess ? await Raiser.StartAsync(settings, storage, Path.Combine(localDirectory, "bench")) : null;

    // Warm both raisers' connections with an event the instance buffers and never uses, before the first rest.
    await host.Client.RaiseEventAsync(id, "warm", 0);
    if (raiser is not null)
    {
        await raiser.RaiseAsync(id, "warm", 0);
    }

    var inProcess = new List<double>();
    var fromChild = new List<double>();
    var cpu = new CpuWindows();
    for (var i = 0; i < count; i++)
    {
        var before = stats.Take();
        await Task.Delay(TimeSpan.FromSeconds(bench.IdleSeconds));
        cpu.Add(before, stats.Take());
        var reached = host.Probe.Expect(FirstSample + i);
        var child = raiser is not null && i % 2 == 1;
        DateTime raisedAt;
        if (child)
        {
            raisedAt = await raiser!.RaiseAsync(id, "ping", FirstSample + i);
        }
        else
        {
            raisedAt = DateTime.UtcNow;
            await host.Client.RaiseEventAsync(id, "ping", FirstSample + i);
        }

        var latency = ((await reached.WaitAsync(TimeSpan.FromMinutes(3))) - raisedAt).TotalMilliseconds;
        (child ? fromChild : inProcess).Add(latency);
        Console.WriteLine($"  wake-up {i + 1}/{count} ({(child ? "other process" : "in-process")}): {latency:F0} ms");
    }

    await WaitAsync(host.Client, id, TimeSpan.FromMinutes(1));
    return (inProcess, fromChild, cpu);
}

async Task<(int Idle, double GrowthMb)> IdleInstancesAsync(DurableTaskClient client, int count, JsonObject profile)
{
    // A warm-up slice first through the same path: what it costs once (JIT, thread-pool threads, connection pools) is
    // not memory held per waiting instance, which is what is measured.
    await StartIdleAsync(client, $"idlewarm-{run}-", Math.Clamp(count / 10, 1, 200));
    var before = ProcessStats.SettledRssMb();
    var stopwatch = Stopwatch.StartNew();
    var running = await StartIdleAsync(client, $"idle-{run}-", count);
    profile["idle_instances_running_after_s"] = Math.Round(stopwatch.Elapsed.TotalSeconds, 0);
    var after = ProcessStats.SettledRssMb();
    profile["idle_rss_before_mb"] = Math.Round(before, 1);
    profile["idle_rss_after_mb"] = Math.Round(after, 1);
    return (running, after - before);
}

// Starts count instances waiting on an event; returns how many reached Running (within 10 minutes).
static async Task<int> StartIdleAsync(DurableTaskClient client, string prefix, int count)
{
    await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, ct) =>
        await client.ScheduleNewOrchestrationInstanceAsync(nameof(IdleFlow), i, new StartOrchestrationOptions { InstanceId = $"{prefix}{i:D6}" }, ct));
    var deadline = Stopwatch.StartNew();
    var running = 0;
    while (deadline.Elapsed < TimeSpan.FromMinutes(10))
    {
        running = 0;
        await foreach (var _ in client.GetAllInstancesAsync(new OrchestrationQuery { InstanceIdPrefix = prefix, Statuses = [OrchestrationRuntimeStatus.Running], PageSize = 1000 }))
        {
            running++;
        }

        if (running >= count)
        {
            break;
        }

        await Task.Delay(2000);
    }

    return running;
}

JsonObject Goals(Figures ours)
{
    var goals = new JsonObject();
    var seqRatio = ours.Sequential / floor;
    goals["sequential_vs_floor_at_least_0_4"] = Goal(seqRatio >= 0.4, Math.Round(seqRatio, 2));
    var wake = Percentile(ours.Wakeups, 0.99);
    goals["wakeup_after_idle_p99_within_250_ms"] = Goal(wake <= 250, Math.Round(wake, 1));
    var cross = Percentile(ours.CrossProcessWakeups, 0.99);
    goals["wakeup_cross_process_p99_within_1000_ms"] = Goal(cross <= 1000, Math.Round(cross, 1));

    // "No figure below the defaults'": higher is better for rates, lower for latencies; the ratio says by how much.
    var versus = new JsonObject
    {
        ["sequential"] = Math.Round(ours.Sequential / defaults.Sequential, 2),
        ["fanout"] = Math.Round(ours.FanOut / defaults.FanOut, 2),
        ["external_events"] = Math.Round(ours.Events / defaults.Events, 2),
        ["hello5"] = Math.Round(ours.Hello5 / defaults.Hello5, 2),
        ["event_to_next_step_p99_inverse"] = Math.Round(defaults.EventP99 / ours.EventP99, 2),
        ["wakeup_after_idle_p99_inverse"] = Math.Round(Percentile(defaults.Wakeups, 0.99) / wake, 2),
    };
    goals["ours_vs_defaults_ratios"] = versus;
    var growth = ours.IdleRssGrowthMb * 10_000.0 / Math.Max(1, ours.IdleInstances);
    goals["idle_rss_growth_per_10000_instances_within_50_mb"] = Goal(growth <= 50, Math.Round(growth, 1));
    var restCpu = ours.IdleCpu.AppPercent + (ours.IdleCpu.AzuritePercent ?? double.NaN);
    goals["idle_cpu_within_10_percent"] = Goal(restCpu <= 10, double.IsNaN(restCpu) ? null : Math.Round(restCpu, 1));
    return goals;

    static JsonObject Goal(bool met, double? value) => new() { ["met"] = met, ["value"] = value };
}

async Task<double> StorageFloorAsync(string connectionString, string id, int steps)
{
    // One step = the least an orchestration step needs: one queue message sent, received and deleted, one table upsert.
    var queue = new QueueClient(connectionString, $"floor-{id}");
    var table = new TableClient(connectionString, $"floor{id}");
    await queue.CreateAsync();
    await table.CreateAsync();
    try
    {
        var payload = new string('x', 1024);
        for (var i = 0; i < 5; i++)
        {
            await StepAsync(i);
        }

        var stopwatch = Stopwatch.StartNew();
        for (var i = 0; i < steps; i++)
        {
            await StepAsync(i);
        }

        return steps / stopwatch.Elapsed.TotalSeconds;

        async Task StepAsync(int i)
        {
            await queue.SendMessageAsync(payload);
            var received = (await queue.ReceiveMessageAsync()).Value ?? throw new InvalidOperationException("The floor queue returned no message.");
            await queue.DeleteMessageAsync(received.MessageId, received.PopReceipt);
            await table.UpsertEntityAsync(new TableEntity("floor", "instance") { ["Step"] = i, ["Payload"] = payload });
        }
    }
    finally
    {
        await queue.DeleteAsync();
        await table.DeleteAsync();
    }
}

static double Percentile(List<double> values, double p)
{
    if (values.Count == 0)
    {
        return double.NaN;
    }

    var sorted = values.Order().ToList();
    return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
}

static void Report(string what, double value, string unit) => Console.WriteLine($"{what}: {value:F1} {unit}");

static string Port(string name, string fallback) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : fallback;

static int? ReadPidFile(string file) =>
    File.Exists(file) && int.TryParse(File.ReadAllText(file).Trim(), CultureInfo.InvariantCulture, out var pid) ? pid : null;

internal sealed record Settings(int IdleSeconds, int Wakeups, int IdleInstances, int FloorSteps, int Sequential, int FanOut, int Events, int Hello5, int Pings);

internal sealed record Figures(
    double Sequential, double FanOut, double Events, double Hello5, double EventP50, double EventP99,
    List<double> Wakeups, List<double> CrossProcessWakeups, int IdleInstances, double IdleRssGrowthMb, CpuWindows IdleCpu);
