using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Amqp;
using Amqp.Framing;
using EcosystemFlows.Azure.ServiceBus;
using EcosystemFlows.Azure.ServiceBus.Triggers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EcosystemFlows.Bench;

/// <summary>
/// End-to-end Service Bus throughput: durable messages sent by <see cref="ServiceBusSender"/> and
/// handled through the trigger host (peek-lock receive, handler, complete), sends and handling overlapping.
/// </summary>
internal static class ServiceBusBenchmark
{
    /// <summary>A queue of the benchmark's own; leftovers of an aborted run are drained by the handler.</summary>
    public const string Queue = "bench.servicebus.durable";

    public static async Task<ServiceBusResult> RunAsync(string connectionString, int messages, int sendConcurrency, int handlerConcurrency, int prefetch)
    {
        await DeclareQueueAsync(connectionString);
        var run = $"bench-{Guid.NewGuid():N}-";
        var counter = new BenchCounter(run, messages);
        var services = new ServiceCollection();
        services.AddSingleton(typeof(ILogger<>), typeof(StderrLogger<>));
        services.Configure<ServiceBusOptions>(options =>
        {
            options.ConnectionString = connectionString;
            options.MaxConcurrentCalls = handlerConcurrency;
            options.PrefetchCount = prefetch;
        });
        services.AddSingleton(counter);
        services.AddServiceBusTrigger<BenchHandler>(ServiceBusEntity.Queue(Queue));
        await using var provider = services.BuildServiceProvider();
        var host = provider.GetServices<IHostedService>().Single();
        await host.StartAsync(CancellationToken.None);
        var sender = provider.GetRequiredService<ServiceBusSender>();
        var payload = Encoding.UTF8.GetBytes("""{"offeringId":"offering-42","partnerId":"partner-a","command":"start","padding":"0123456789012345678901234567890123456789"}""");

        // Warm up the connection, links and JIT outside the measurement.
        await sender.SendToQueueAsync(Queue, new ServiceBusMessage(payload) { MessageId = "warmup" });
        await Task.Delay(500);

        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, messages), new ParallelOptions { MaxDegreeOfParallelism = sendConcurrency }, async (i, token) =>
            await sender.SendToQueueAsync(Queue, new ServiceBusMessage(payload) { MessageId = $"{run}{i}", ContentType = "application/json" }, token));
        var sent = clock.Elapsed;
        await counter.AllHandled.WaitAsync(TimeSpan.FromMinutes(5));
        var handled = clock.Elapsed;
        await host.StopAsync(CancellationToken.None);

        return new ServiceBusResult(
            Messages: messages,
            SendSeconds: sent.TotalSeconds,
            EndToEndSeconds: handled.TotalSeconds,
            SendMessagesPerSecond: messages / sent.TotalSeconds,
            EndToEndMessagesPerSecond: messages / handled.TotalSeconds,
            Duplicates: counter.Duplicates,
            Connections: provider.GetRequiredService<ServiceBusConnection>().OpenedCount,
            SendConcurrency: sendConcurrency,
            HandlerConcurrency: handlerConcurrency,
            Prefetch: prefetch);
    }

    private static async Task DeclareQueueAsync(string connectionString)
    {
        var parsed = ServiceBusConnectionString.Parse(connectionString);
        var connection = await Connection.Factory.CreateAsync(new Address(parsed.Host, parsed.Port, parsed.SharedAccessKeyName, parsed.SharedAccessKey, "/", "amqp"));
        var attached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // RabbitMQ declares the queue for a link attached to /queue/<name>, durable only when the terminus is.
        var receiver = new ReceiverLink(new Session(connection), "bench-declare", new Source { Address = $"/queue/{Queue}", Durable = 2 }, (_, _) => attached.TrySetResult());
        await attached.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await receiver.CloseAsync();
        await connection.CloseAsync();
    }
}

internal sealed record ServiceBusResult(
    int Messages,
    double SendSeconds,
    double EndToEndSeconds,
    double SendMessagesPerSecond,
    double EndToEndMessagesPerSecond,
    int Duplicates,
    int Connections,
    int SendConcurrency,
    int HandlerConcurrency,
    int Prefetch);

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

internal sealed class BenchHandler(BenchCounter counter) : IServiceBusHandler
{
    public Task HandleAsync(ServiceBusReceivedMessage message, CancellationToken cancellationToken)
    {
        counter.Handled(message.MessageId);
        return Task.CompletedTask;
    }
}
