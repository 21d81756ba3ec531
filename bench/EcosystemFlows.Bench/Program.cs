using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using EcosystemFlows.Azure.ServiceBus;
using EcosystemFlows.Bench;

// Usage: EcosystemFlows.Bench [--record] [--out FILE] [--commit <sha>] [--messages 20000] [--fanout-messages 5000]
//        [--rss-messages 100000] [--send-concurrency 256] [--handler-concurrency 32] [--prefetch 500]
// Results go to $ECOFLOWS_LOCAL_DIR/bench/servicebus.json (.local/bench/servicebus.json) unless --record is given,
// which writes bench/results/servicebus.json, the committed figures. --out names any other file.
var settings = Arguments.Parse(args);
var root = BenchRun.RepositoryRoot();
var localDirectory = Environment.GetEnvironmentVariable("ECOFLOWS_LOCAL_DIR") is { Length: > 0 } local ? local : Path.Combine(root, ".local");
var port = Environment.GetEnvironmentVariable("ECOFLOWS_SERVICEBUS_PORT") is { Length: > 0 } configuredPort ? configuredPort : "5672";
var connectionString = Environment.GetEnvironmentVariable("ServiceBus__ConnectionString") is { Length: > 0 } configured
    ? configured
    : $"Endpoint=sb://localhost:{port};SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;";
var bench = new BenchSettings(
    Messages: settings.Int("messages", 20_000),
    FanOutMessages: settings.Int("fanout-messages", 5_000),
    RssMessages: settings.Int("rss-messages", 100_000),
    SendConcurrency: settings.Int("send-concurrency", 256),
    HandlerConcurrency: settings.Int("handler-concurrency", 32),
    Prefetch: settings.Int("prefetch", 500));
var logger = new StderrLogger<ServiceBusProcessor>();

await using var client = ServiceBusClientFactory.Create(ServiceBusBenchmark.Options(connectionString, bench), credential: null);
var e2e = await ServiceBusBenchmark.EndToEndAsync(client, bench, logger);
Console.WriteLine(
    $"servicebus e2e: {e2e.Messages} messages, send {e2e.SendMessagesPerSecond:0}/s, send+receive+complete {e2e.EndToEndMessagesPerSecond:0}/s ({e2e.Seconds:0.00} s), duplicates {e2e.Duplicates}");
var fanOut = await ServiceBusBenchmark.FanOutAsync(client, bench, logger);
Console.WriteLine(
    $"servicebus fan-out: {fanOut.Published} events to {fanOut.Subscriptions} subscriptions, publish {fanOut.PublishMessagesPerSecond:0}/s, deliveries {fanOut.DeliveriesPerSecond:0}/s ({fanOut.Seconds:0.00} s), duplicates {fanOut.Duplicates}");
var rss = bench.RssMessages > 0 ? await ServiceBusBenchmark.RssAsync(client, bench.RssMessages, localDirectory) : null;
if (rss is not null)
{
    Console.WriteLine($"servicebus emulator RSS: {rss.IdleMegabytes:0.0} MB empty, {rss.HoldingMegabytes:0.0} MB holding {rss.Messages} messages");
}

var path = settings.Text("out", settings.Flag("record")
    ? Path.Combine(root, "bench", "results", "servicebus.json")
    : Path.Combine(localDirectory, "bench", "servicebus.json"));
var document = new JsonObject
{
    ["commit"] = settings.Text("commit", BenchRun.Commit(root)),
    ["measured_at"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
    ["machine"] = new JsonObject
    {
        ["cores"] = Environment.ProcessorCount,
        ["os"] = RuntimeInformation.OSDescription,
        ["cpu"] = BenchRun.CpuModel(),
        ["runtime"] = RuntimeInformation.FrameworkDescription,
    },
    ["broker"] = "EcosystemFlows Service Bus emulator (eng/emulators/servicebus), local, via Azure.Messaging.ServiceBus",
    ["servicebus_e2e_msgs_per_s"] = Math.Round(e2e.EndToEndMessagesPerSecond, 0),
    ["servicebus_send_msgs_per_s"] = Math.Round(e2e.SendMessagesPerSecond, 0),
    ["servicebus_fanout_deliveries_per_s"] = Math.Round(fanOut.DeliveriesPerSecond, 0),
    ["servicebus_fanout_publish_msgs_per_s"] = Math.Round(fanOut.PublishMessagesPerSecond, 0),
    ["servicebus_emulator_rss_mb_empty"] = rss?.IdleMegabytes,
    ["servicebus_emulator_rss_mb_holding"] = rss?.HoldingMegabytes,
    ["servicebus_emulator_rss_messages_held"] = rss?.Messages,
    ["settings"] = new JsonObject
    {
        ["messages"] = bench.Messages,
        ["fanout_messages"] = bench.FanOutMessages,
        ["fanout_subscriptions"] = fanOut.Subscriptions,
        ["send_concurrency"] = bench.SendConcurrency,
        ["handler_concurrency"] = bench.HandlerConcurrency,
        ["prefetch"] = bench.Prefetch,
    },
    ["duplicates"] = e2e.Duplicates + fanOut.Duplicates,
};
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
await File.WriteAllTextAsync(path, document.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
Console.WriteLine($"wrote {path}");
return 0;
