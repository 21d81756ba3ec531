using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using EcosystemFlows.Bench;

// Usage: EcosystemFlows.Bench [--out bench/results/latest.json] [--commit <sha>] [--messages 20000]
//        [--send-concurrency 256] [--handler-concurrency 32] [--prefetch 500]
var settings = Arguments.Parse(args);
var connectionString = Environment.GetEnvironmentVariable("ServiceBus__ConnectionString") is { Length: > 0 } configured
    ? configured
    : "Endpoint=amqp://127.0.0.1:5672/;SharedAccessKeyName=ecoflows;SharedAccessKey=ecoflows-local;UseDevelopmentEmulator=true";

var result = await ServiceBusBenchmark.RunAsync(
    connectionString,
    settings.Int("messages", 20_000),
    settings.Int("send-concurrency", 256),
    settings.Int("handler-concurrency", 32),
    settings.Int("prefetch", 500));
Console.WriteLine(
    $"servicebus: {result.Messages} durable messages, send {result.SendMessagesPerSecond:0}/s, " +
    $"end to end {result.EndToEndMessagesPerSecond:0}/s ({result.EndToEndSeconds:0.00} s), duplicates {result.Duplicates}, connections opened {result.Connections}");

// Merge into the results file: other benchmarks own their own keys.
var path = settings.Text("out", Path.Combine("bench", "results", "latest.json"));
var document = File.Exists(path) ? JsonNode.Parse(await File.ReadAllTextAsync(path))?.AsObject() ?? [] : [];
document["commit"] = settings.Text("commit", "unknown");
document["machine"] = new JsonObject
{
    ["cores"] = Environment.ProcessorCount,
    ["os"] = RuntimeInformation.OSDescription,
    ["cpu"] = CpuModel(),
    ["runtime"] = RuntimeInformation.FrameworkDescription,
};
document["servicebus_e2e_msgs_per_s"] = Math.Round(result.EndToEndMessagesPerSecond, 0);
document["servicebus"] = new JsonObject
{
    ["measured_at"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
    ["broker"] = "RabbitMQ 3.10 (AMQP 1.0 plugin), local, durable messages",
    ["messages"] = result.Messages,
    ["send_msgs_per_s"] = Math.Round(result.SendMessagesPerSecond, 0),
    ["e2e_msgs_per_s"] = Math.Round(result.EndToEndMessagesPerSecond, 0),
    ["e2e_seconds"] = Math.Round(result.EndToEndSeconds, 3),
    ["duplicates"] = result.Duplicates,
    ["connections_opened"] = result.Connections,
    ["send_concurrency"] = result.SendConcurrency,
    ["handler_concurrency"] = result.HandlerConcurrency,
    ["prefetch"] = result.Prefetch,
};
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
await File.WriteAllTextAsync(path, document.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n");
Console.WriteLine($"wrote {path}");
return 0;

static string CpuModel()
{
    try
    {
        return File.ReadLines("/proc/cpuinfo").FirstOrDefault(line => line.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";
    }
    catch (IOException)
    {
        return "unknown";
    }
}

internal sealed class Arguments(Dictionary<string, string> values)
{
    public static Arguments Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            values[args[i].TrimStart('-')] = args[i + 1];
        }

        return new Arguments(values);
    }

    public int Int(string name, int fallback) =>
        values.TryGetValue(name, out var text) ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

    public string Text(string name, string fallback) => values.TryGetValue(name, out var text) ? text : fallback;
}
