using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using EcosystemFlows.Api.Security;
using EcosystemFlows.Azure.ServiceBus;
using EcosystemFlows.Bench.Faults;
using Microsoft.Azure.Cosmos;

// The fault suite (issue #8); eng/faults.sh builds, starts isolated services and runs it. Phase 1 measures
// throughput without faults; phase 2 drives the main workload while the app is SIGKILLed and restarted,
// The Service Bus emulator, Azurite and the Cosmos stand-in are killed and restarted, every message is delivered twice and
// commands race. Then the invariants are checked on the services' end state and written to
// bench/results/faults.json (key "faults" for the CI profile, "faults_<mode>" for others, so the larger run does not
// replace it); the exit code is 1 when any invariant is violated.
var options = SuiteOptions.Parse(args);
var resultKey = options.Mode == "ci" ? "faults" : $"faults_{options.Mode}";
var run = options.Run;
var started = Stopwatch.StartNew();
void Say(string line) => Console.WriteLine($"[faults {started.Elapsed:mm\\:ss}] {line}");

var auth = new AuthOptions { Audience = "ecosystemflows-faults", DevelopmentSigningKey = Convert.ToBase64String("fault-suite-only-signing-key-32by!"u8) };
var settings = new Dictionary<string, string>
{
    ["Storage__ConnectionString"] = Services.StorageConnectionString,
    ["Cosmos__AccountEndpoint"] = Services.CosmosEndpoint.ToString(),
    ["Cosmos__AccountKey"] = Services.CosmosKey,
    ["Cosmos__DatabaseName"] = $"faults{run}",
    ["extensions__durableTask__hubName"] = $"faults{run}",
    // One stable worker id across the app's restarts: the provider then takes the killed app's partitions back at
    // once, where a new id would wait for their leases to expire (30 s) after every kill.
    ["extensions__durableTask__workerId"] = "faults-app",
    ["ServiceBus__ConnectionString"] = Services.ServiceBusConnectionString,
    ["Auth__Audience"] = auth.Audience,
    ["Auth__DevelopmentSigningKey"] = auth.DevelopmentSigningKey,
    ["Logging__LogLevel__Default"] = "Warning",

    // The Durable Task Framework's steps (episodes, activities, messages, leases) with UTC times, one line each: what a
    // stuck instance's diagnosis quotes, next to the kill times this driver prints.
    ["Logging__LogLevel__DurableTask.Core"] = "Information",
    ["Logging__Console__FormatterName"] = "simple",
    ["Logging__Console__FormatterOptions__SingleLine"] = "true",
    ["Logging__Console__FormatterOptions__UseUtcTimestamp"] = "true",
    ["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ",

    // After a kill, every task-hub message the app held reappears only after this; the provider's default (5 min)
    // would park the offerings in flight for 5 min per kill. A live app renews what it holds, so a short timeout
    // costs renewals, not redeliveries.
    ["extensions__durableTask__storageProvider__controlQueueVisibilityTimeout"] = options.VisibilityTimeout.ToString("c", CultureInfo.InvariantCulture),
    ["extensions__durableTask__storageProvider__workItemQueueVisibilityTimeout"] = options.VisibilityTimeout.ToString("c", CultureInfo.InvariantCulture),

    // The driver is one organisation driving a thousand offerings: at the default limit (1,000 requests per 10 s)
    // the whole run would be throttled, and slowed stages would exceed the driver's stage bound. Rate limiting has
    // its own tests; here it is lifted out of the way.
    ["ApiLimits__PermitsPerWindow"] = "1000000",
};
var logDir = Path.Combine(Services.LocalDir, "logs");
var services = new Services(options.Root);
var appDll = Path.Combine(options.Root, "src", "EcosystemFlows.LocalHost", "bin", "Release", "net10.0", "EcosystemFlows.LocalHost.dll");
var today = DateOnly.FromDateTime(DateTime.UtcNow);

// One client for the driver (commands) and the end-state reader, as the app builds it.
await using var serviceBus = ServiceBusClientFactory.Create(new ServiceBusOptions { ConnectionString = Services.ServiceBusConnectionString }, credential: null);
await using var commandSender = new ServiceBusSender(serviceBus);
using var cosmos = new CosmosClient(Services.CosmosEndpoint.ToString(), Services.CosmosKey, new CosmosClientOptions { ConnectionMode = ConnectionMode.Gateway, LimitToEndpoint = true });
var database = cosmos.GetDatabase($"faults{run}");
var workload = (Api api) => new Workload(api, run, options.Seed, today, options.StageBound);
var runs = new List<OfferingRun>();
var kills = new Dictionary<string, int>(StringComparer.Ordinal) { ["app"] = 0, ["servicebus"] = 0, ["azurite"] = 0, ["cosmos"] = 0 };
var restarts = new List<double>();

// Phase 1: no faults, no duplicates (throughput baseline).
Say($"run {run} (started {DateTime.UtcNow:HH:mm:ss} UTC): baseline of {options.Baseline} offerings without faults");
double baselineRate;
await using (var app = new AppHost(appDll, settings, Path.Combine(logDir, $"faults-app-{run}-baseline.log")))
{
    await app.StartAsync(TimeSpan.FromSeconds(120));
    using var api = new Api(app.BaseAddress, auth, commandSender, options.StageBound);
    await RegisterPartnersAsync(api);
    var load = workload(api);
    var baseline = Enumerable.Range(0, options.Baseline).Select(load.Create).ToList();
    runs.AddRange(baseline);
    var clock = Stopwatch.StartNew();
    await load.RunAsync(baseline, options.Concurrency);
    baselineRate = options.Baseline / clock.Elapsed.TotalSeconds;
    Say($"baseline: {options.Baseline} offerings in {clock.Elapsed.TotalSeconds:F0} s ({baselineRate:F2}/s)");
}

// Phase 2: the faults.
settings["ServiceBus__DuplicateDelivery"] = options.Duplicate ? "true" : "false";
Say($"fault phase: {options.Offerings} offerings, {options.AppKills} app kills, service kills {(options.ServiceKills ? "on" : "off")}, duplicate delivery {(options.Duplicate ? "on" : "off")}");
double faultRate;
var faultLog = Path.Combine(logDir, $"faults-app-{run}.log");
await using (var app = new AppHost(appDll, settings, faultLog))
{
    await app.StartAsync(TimeSpan.FromSeconds(120));
    using var api = new Api(app.BaseAddress, auth, commandSender, options.StageBound);
    var load = workload(api);
    var main = Enumerable.Range(options.Baseline, options.Offerings).Select(load.Create).ToList();
    runs.AddRange(main);
    var clock = Stopwatch.StartNew();
    using var stop = new CancellationTokenSource();
    var driving = load.RunAsync(main, options.Concurrency);
    var injecting = InjectAsync(app, load, main.Count, stop.Token);
    await driving;
    await stop.CancelAsync();
    await injecting;
    faultRate = options.Offerings / clock.Elapsed.TotalSeconds;
    Say($"fault phase: {options.Offerings} offerings in {clock.Elapsed.TotalSeconds:F0} s ({faultRate:F2}/s); kills {string.Join(", ", kills.Select(k => $"{k.Key} {k.Value}"))}");

    await SettleAsync();
    var runtime = await RuntimeStatusAsync(api);
    await app.KillAsync();

    var (offeringDocs, catalogDocs) = await EndState.ReadCosmosAsync(database);
    var end = new EndState { Offerings = offeringDocs, Catalog = catalogDocs };
    var poison = new BlobServiceClient(Services.StorageConnectionString).GetBlobContainerClient($"faults{run}-poison");
    await end.ReadMessagesAsync(serviceBus, poison);
    var violations = Invariants.Check(runs, end, runtime);
    foreach (var (name, list) in violations)
    {
        Say($"{(list.Count == 0 ? "OK  " : "FAIL")} {name}: {list.Count} violations");
        foreach (var line in list.Take(10))
        {
            Say($"       {line}");
        }
    }

    var stuck = runs.Where(r => violations[Invariants.NoneStuck].Exists(v => v.StartsWith(r.OfferingId + " ", StringComparison.Ordinal))).Select(r => r.OfferingId).Take(10).ToList();
    if (stuck.Count > 0)
    {
        Say("what the stuck orchestrations wait for:");
        try
        {
            foreach (var line in await StuckDiagnosis.DescribeAsync($"faults{run}", stuck, faultLog))
            {
                Say($"       {line}");
            }
        }
        catch (Exception ex) when (ex is CosmosException or Azure.RequestFailedException or HttpRequestException)
        {
            Say($"       could not read them: {ex.Message}");
        }
    }

    // Not a violation by itself (the invariants judge the end state), but what explains one: the driver stops driving an
    // offering whose stage did not come within the stage bound, so its later commands (an amendment, a retirement) are never sent.
    var gaveUp = runs.Where(r => r.GaveUp is not null).Select(r => $"{r.OfferingId} ({r.Plan}): {r.GaveUp}").ToList();
    Say($"driver gave up on {gaveUp.Count} offerings");
    foreach (var line in gaveUp.Take(10))
    {
        Say($"       {line}");
    }

    Write(end, violations, gaveUp, runtime, baselineRate, faultRate);
    Say($"wrote {options.Out} (key \"{resultKey}\"); app log {faultLog}");
    return violations.Values.Any(v => v.Count > 0) ? 1 : 0;
}

async Task RegisterPartnersAsync(Api api)
{
    foreach (var partner in Scenario.Partners(today))
    {
        // alice is an operator too, who may register any organisation.
        var answer = await api.SendAsync("alice", HttpMethod.Post, "/api/partners", partner);
        if ((int)answer.Status >= 300)
        {
            throw new InvalidOperationException($"registering {partner.PartnerId}: {(int)answer.Status} {answer.Body}");
        }
    }
}

// Faults at random moments, spread over the workload's progress (seeded): app kills at evenly spread
// fractions with jitter, one kill of each service in between.
async Task InjectAsync(AppHost app, Workload load, int total, CancellationToken cancellationToken)
{
    var random = new Random(options.Seed);
    var plan = Enumerable.Range(0, options.AppKills).Select(i => (At: (i + 0.2 + (random.NextDouble() * 0.6)) / (options.AppKills + 1), What: "app")).ToList();
    if (options.ServiceKills)
    {
        plan.AddRange([(0.25, "servicebus"), (0.5, "azurite"), (0.75, "cosmos")]);
    }

    foreach (var (at, what) in plan.OrderBy(p => p.At))
    {
        while (load.Finished < at * total && !cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(100, CancellationToken.None);
        }

        // A random moment after the threshold, so kills do not line up with offering boundaries.
        await Task.Delay(TimeSpan.FromMilliseconds(random.Next(2000)), CancellationToken.None);
        if (what == "app")
        {
            await app.KillAsync();
            kills["app"]++;
            await Task.Delay(TimeSpan.FromMilliseconds(random.Next(1500)), CancellationToken.None);
            var restart = Stopwatch.StartNew();
            await app.StartAsync(TimeSpan.FromSeconds(180));
            restarts.Add(restart.Elapsed.TotalSeconds);
        }
        else
        {
            await services.KillAndRestartAsync(what, TimeSpan.FromMilliseconds(500 + random.Next(2500)), CancellationToken.None);
            kills[what]++;
        }

        Say($"killed and restarted {what} at {load.Finished}/{total} offerings{(what == "app" ? $" (ready again in {restarts[^1]:F1} s)" : "")}");
    }
}

// Waits until every offering rests in an end stage with its final event recorded, or until nothing has
// progressed for the stuck bound.
async Task SettleAsync()
{
    var lastCount = -1;
    var lastProgress = Stopwatch.StartNew();
    while (true)
    {
        var (docs, _) = await EndState.ReadCosmosAsync(database);
        var byOffering = docs.Where(d => d.OfferingId is not null).ToLookup(d => d.OfferingId!, StringComparer.Ordinal);
        var unsettled = runs.Count(r => !Invariants.Settled(
            byOffering[r.OfferingId].FirstOrDefault(d => d.DocType == "snapshot"),
            [.. byOffering[r.OfferingId].Where(d => d.DocType == "audit").OrderBy(d => d.Sequence)]));
        var count = docs.Count;
        if (unsettled == 0)
        {
            // Transitions recorded; give the last publications a moment to reach the subscriptions.
            await Task.Delay(TimeSpan.FromSeconds(3));
            await CommandsSettledAsync();
            return;
        }

        if (count != lastCount)
        {
            lastCount = count;
            lastProgress.Restart();
        }
        else if (lastProgress.Elapsed > options.StuckBound)
        {
            Say($"{unsettled} offerings unsettled and no progress for {options.StuckBound.TotalSeconds:F0} s");
            return;
        }

        await Task.Delay(TimeSpan.FromSeconds(2));
    }
}

// The commands a killed app instance held stay locked until their lock expires (the queue's LockDuration, 1 min), as in
// Service Bus; only then does the live app receive and settle them. So the app runs on until offering-commands is empty
// (a peek sees locked messages too), at most the lock time and a margin; what is left then is reported by the invariants.
async Task CommandsSettledAsync()
{
    var bound = TimeSpan.FromSeconds(90);
    var waited = Stopwatch.StartNew();
    await using var peeker = serviceBus.CreateReceiver("offering-commands");
    while (true)
    {
        var left = (await peeker.PeekMessagesAsync(100, fromSequenceNumber: 0)).Count;
        if (left == 0)
        {
            if (waited.Elapsed > TimeSpan.FromSeconds(1))
            {
                Say($"commands settled {waited.Elapsed.TotalSeconds:F0} s after the offerings (locks of killed app instances expired)");
            }

            return;
        }

        if (waited.Elapsed > bound)
        {
            Say($"{left} commands still on offering-commands after {bound.TotalSeconds:F0} s");
            return;
        }

        await Task.Delay(TimeSpan.FromSeconds(2));
    }
}

async Task<Dictionary<string, string>> RuntimeStatusAsync(Api api)
{
    var statuses = new Dictionary<string, string>(StringComparer.Ordinal);
    foreach (var offering in runs)
    {
        var answer = await api.SendAsync("alice", HttpMethod.Get, $"/webhooks/durabletask/instances/{offering.OfferingId}?showInput=false");
        if ((int)answer.Status < 300)
        {
            statuses[offering.OfferingId] = JsonDocument.Parse(answer.Body).RootElement.GetProperty("runtimeStatus").GetString()!;
        }
    }

    return statuses;
}

void Write(EndState end, Dictionary<string, List<string>> violations, List<string> gaveUp, IReadOnlyDictionary<string, string> runtime, double baselineRate, double faultRate)
{
    var results = File.Exists(options.Out) ? JsonNode.Parse(File.ReadAllText(options.Out))!.AsObject() : [];
    var invariants = new JsonObject();
    foreach (var (name, list) in violations)
    {
        invariants[name] = new JsonObject { ["violations"] = list.Count, ["examples"] = new JsonArray([.. list.Take(5).Select(l => JsonValue.Create(l))]) };
    }

    results[resultKey] = new JsonObject
    {
        ["run"] = run,
        ["mode"] = options.Mode,
        ["seed"] = options.Seed,
        ["offerings"] = runs.Count,
        ["offerings_baseline"] = options.Baseline,
        ["offerings_under_faults"] = options.Offerings,
        ["plans"] = new JsonObject([.. runs.GroupBy(r => r.Plan).OrderBy(g => g.Key).Select(g => KeyValuePair.Create(g.Key.ToString(), (JsonNode?)g.Count()))]),
        ["end_stages"] = new JsonObject([.. end.Offerings.Where(d => d.DocType == "snapshot").GroupBy(d => d.Stage ?? "none").OrderBy(g => g.Key).Select(g => KeyValuePair.Create(g.Key, (JsonNode?)g.Count()))]),
        ["runtime_status"] = new JsonObject([.. runtime.Values.GroupBy(s => s).OrderBy(g => g.Key).Select(g => KeyValuePair.Create(g.Key, (JsonNode?)g.Count()))]),
        ["service_bus_commands"] = runs.Sum(r => r.Commands.Count),
        ["kills"] = new JsonObject([.. kills.Select(k => KeyValuePair.Create(k.Key, (JsonNode?)k.Value))]),
        ["app_restart_s"] = restarts.Count == 0 ? null : new JsonObject
        {
            ["median"] = Math.Round(restarts.Order().ElementAt(restarts.Count / 2), 1),
            ["max"] = Math.Round(restarts.Max(), 1),
        },
        ["duplicate_delivery"] = options.Duplicate,
        ["events_received"] = end.Events.Count,
        ["events_distinct"] = end.Events.Select(e => (e.Subscription, e.Id)).Distinct().Count(),
        ["dead_lettered_commands"] = end.DeadLettered.Count(m => m.Queue == EndState.DeadLetteredCommands),
        ["dead_letter_reasons"] = new JsonObject([.. end.DeadLettered.GroupBy(m => m.Reason ?? "none").OrderBy(g => g.Key).Select(g => KeyValuePair.Create(g.Key, (JsonNode?)g.Count()))]),
        ["throughput_offerings_per_s_without_faults"] = Math.Round(baselineRate, 2),
        ["throughput_offerings_per_s_with_faults"] = Math.Round(faultRate, 2),
        ["concurrency"] = options.Concurrency,
        ["visibility_timeout_s"] = options.VisibilityTimeout.TotalSeconds,
        ["duration_s"] = Math.Round(started.Elapsed.TotalSeconds, 1),
        ["invariants"] = invariants,
        ["violations_total"] = violations.Values.Sum(v => v.Count),
        ["driver_gave_up"] = new JsonObject { ["offerings"] = gaveUp.Count, ["examples"] = new JsonArray([.. gaveUp.Take(5).Select(l => JsonValue.Create(l))]) },
        ["machine"] = new JsonObject
        {
            ["cores"] = Environment.ProcessorCount,
            ["os"] = System.Runtime.InteropServices.RuntimeInformation.OSDescription,
            ["runtime"] = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
        },
        ["commit"] = options.Commit,
        ["measured_at"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
    };
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(options.Out))!);
    File.WriteAllText(options.Out, results.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
}
