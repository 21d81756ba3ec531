using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Azure.Messaging.ServiceBus;
using EcosystemFlows.Azure.ServiceBus;
using Microsoft.Extensions.Logging;
using AppMessage = EcosystemFlows.Azure.ServiceBus.ServiceBusMessage;
using AppProcessor = EcosystemFlows.Azure.ServiceBus.ServiceBusProcessor;
using AppSender = EcosystemFlows.Azure.ServiceBus.ServiceBusSender;

namespace EcosystemFlows.Bench;

/// <summary>
/// Service Bus throughput through the app's own SDK code (<see cref="AppSender"/>, <see cref="AppProcessor"/>)
/// against the local emulator: one sender and one processor on a queue (send, peek-lock receive, complete, sends
/// and handling overlapping), a topic fanning out to three subscriptions, and the emulator's resident memory while
/// it holds many messages. Entities (<c>bench</c>, <c>bench-fanout</c> with <c>s1</c>..<c>s3</c>) come from
/// eng/emulators/servicebus/Config.json; each run empties them first.
/// </summary>
internal static class ServiceBusBenchmark
{
    public const string Queue = "bench";
    public const string FanOutTopic = "bench-fanout";
    public static readonly string[] FanOutSubscriptions = ["s1", "s2", "s3"];

    private static readonly byte[] Payload = Encoding.UTF8.GetBytes(
        """{"offeringId":"offering-42","partnerId":"partner-a","command":"start","padding":"0123456789012345678901234567890123456789"}""");

    public static ServiceBusOptions Options(string connectionString, BenchSettings settings) => new()
    {
        ConnectionString = connectionString,
        MaxConcurrentCalls = settings.HandlerConcurrency,
        PrefetchCount = settings.Prefetch,
        ShutdownTimeout = TimeSpan.FromSeconds(10),
    };

    /// <summary>One sender, one processor on <see cref="Queue"/>: messages per second from the first send to the last completion.</summary>
    public static async Task<EndToEndResult> EndToEndAsync(ServiceBusClient client, BenchSettings settings, ILogger logger)
    {
        await PurgeAsync(client, Queue, null);
        var options = Options("unused", settings);
        var run = $"e2e-{Guid.NewGuid():N}-";
        var counter = new BenchCounter(run, settings.Messages);
        await using var sender = new AppSender(client);
        await using var processor = new AppProcessor(client, ServiceBusEntity.Queue(Queue), (message, _) =>
        {
            counter.Handled(message.MessageId);
            return Task.CompletedTask;
        }, options, logger);
        await processor.StartAsync();

        // Warm up the connection, links and JIT outside the measurement.
        await sender.SendToQueueAsync(Queue, new AppMessage(Payload) { MessageId = "warmup" });
        await Task.Delay(500);

        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, settings.Messages), new ParallelOptions { MaxDegreeOfParallelism = settings.SendConcurrency }, async (i, token) =>
            await sender.SendToQueueAsync(Queue, new AppMessage(Payload) { MessageId = $"{run}{i}", ContentType = "application/json" }, token));
        var sent = clock.Elapsed;
        await counter.AllHandled.WaitAsync(TimeSpan.FromMinutes(10));
        var handled = clock.Elapsed;
        await processor.StopAsync();
        return new EndToEndResult(settings.Messages, settings.Messages / sent.TotalSeconds, settings.Messages / handled.TotalSeconds, handled.TotalSeconds, counter.Duplicates);
    }

    /// <summary>
    /// <see cref="BenchSettings.FanOutMessages"/> events published to <see cref="FanOutTopic"/>, one processor per
    /// subscription: deliveries (published × 3) per second until every subscription has completed every event.
    /// </summary>
    public static async Task<FanOutResult> FanOutAsync(ServiceBusClient client, BenchSettings settings, ILogger logger)
    {
        foreach (var subscription in FanOutSubscriptions)
        {
            await PurgeAsync(client, FanOutTopic, subscription);
        }

        var options = Options("unused", settings);
        var run = $"fan-{Guid.NewGuid():N}-";
        var counters = FanOutSubscriptions.Select(_ => new BenchCounter(run, settings.FanOutMessages)).ToArray();
        await using var sender = new AppSender(client);
        var processors = FanOutSubscriptions.Select((subscription, i) => new AppProcessor(client, ServiceBusEntity.TopicSubscription(FanOutTopic, subscription), (message, _) =>
        {
            counters[i].Handled(message.MessageId);
            return Task.CompletedTask;
        }, options, logger)).ToList();
        try
        {
            foreach (var processor in processors)
            {
                await processor.StartAsync();
            }

            await sender.SendToTopicAsync(FanOutTopic, new AppMessage(Payload) { MessageId = "warmup" });
            await Task.Delay(500);
            var clock = Stopwatch.StartNew();
            await Parallel.ForEachAsync(Enumerable.Range(0, settings.FanOutMessages), new ParallelOptions { MaxDegreeOfParallelism = settings.SendConcurrency }, async (i, token) =>
                await sender.SendToTopicAsync(FanOutTopic, new AppMessage(Payload) { MessageId = $"{run}{i}", ContentType = "application/json" }, token));
            var published = clock.Elapsed;
            await Task.WhenAll(counters.Select(c => c.AllHandled)).WaitAsync(TimeSpan.FromMinutes(10));
            var delivered = clock.Elapsed;
            var deliveries = settings.FanOutMessages * FanOutSubscriptions.Length;
            return new FanOutResult(settings.FanOutMessages, FanOutSubscriptions.Length, settings.FanOutMessages / published.TotalSeconds, deliveries / delivered.TotalSeconds, delivered.TotalSeconds, counters.Sum(c => c.Duplicates));
        }
        finally
        {
            foreach (var processor in processors)
            {
                await processor.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// The emulator's resident set (VmRSS of the pid eng/services.sh recorded) before, and while it holds
    /// <paramref name="messages"/> messages on <see cref="Queue"/> (sent in SDK batches); the queue is emptied afterwards.
    /// </summary>
    public static async Task<RssResult?> RssAsync(ServiceBusClient client, int messages, string localDirectory)
    {
        var pidFile = Path.Combine(localDirectory, "run", "servicebus.pid");
        if (!File.Exists(pidFile))
        {
            Console.Error.WriteLine($"no {pidFile}: emulator RSS not measured (start it with eng/services.sh, or set ECOFLOWS_LOCAL_DIR)");
            return null;
        }

        var pid = int.Parse((await File.ReadAllTextAsync(pidFile)).Trim(), CultureInfo.InvariantCulture);
        await PurgeAsync(client, Queue, null);
        var before = RssMegabytes(pid);
        await using var sender = client.CreateSender(Queue);
        var sent = 0;
        while (sent < messages)
        {
            using var batch = await sender.CreateMessageBatchAsync();
            while (sent < messages && batch.TryAddMessage(new global::Azure.Messaging.ServiceBus.ServiceBusMessage(Payload) { MessageId = $"rss-{sent}" }))
            {
                sent++;
            }

            await sender.SendMessagesAsync(batch);
        }

        await Task.Delay(TimeSpan.FromSeconds(2));
        var holding = RssMegabytes(pid);
        await PurgeAsync(client, Queue, null);
        return new RssResult(messages, before, holding);
    }

    /// <summary>Empties an entity (receive-and-delete), so leftovers of an aborted run do not count.</summary>
    public static async Task PurgeAsync(ServiceBusClient client, string entity, string? subscription)
    {
        var receiverOptions = new ServiceBusReceiverOptions { ReceiveMode = ServiceBusReceiveMode.ReceiveAndDelete, PrefetchCount = 1000 };
        await using var receiver = subscription is null ? client.CreateReceiver(entity, receiverOptions) : client.CreateReceiver(entity, subscription, receiverOptions);
        while ((await receiver.ReceiveMessagesAsync(1000, TimeSpan.FromMilliseconds(500))).Count > 0)
        {
        }
    }

    private static double RssMegabytes(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        var kilobytes = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        return Math.Round(kilobytes / 1024.0, 1);
    }
}

internal sealed record BenchSettings(int Messages, int FanOutMessages, int RssMessages, int SendConcurrency, int HandlerConcurrency, int Prefetch);

internal sealed record EndToEndResult(int Messages, double SendMessagesPerSecond, double EndToEndMessagesPerSecond, double Seconds, int Duplicates);

internal sealed record FanOutResult(int Published, int Subscriptions, double PublishMessagesPerSecond, double DeliveriesPerSecond, double Seconds, int Duplicates);

internal sealed record RssResult(int Messages, double IdleMegabytes, double HoldingMegabytes);

internal sealed class BenchCounter(string run, int expected)
{
    private readonly ConcurrentDictionary<string, byte> _seen = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _duplicates;

    public Task AllHandled => _all.Task;

    public int Duplicates => Volatile.Read(ref _duplicates);

    public void Handled(string? messageId)
    {
        if (messageId?.StartsWith(run, StringComparison.Ordinal) != true)
        {
            return; // warm-up or a leftover of an aborted run
        }

        if (!_seen.TryAdd(messageId, 0))
        {
            Interlocked.Increment(ref _duplicates);
        }
        else if (_seen.Count == expected)
        {
            _all.TrySetResult();
        }
    }
}
