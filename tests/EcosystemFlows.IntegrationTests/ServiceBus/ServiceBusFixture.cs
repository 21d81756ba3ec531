using System.Collections.Concurrent;
using System.Diagnostics;
using Azure.Messaging.ServiceBus;
using EcosystemFlows.Azure.ServiceBus;
using Microsoft.Extensions.Logging.Abstractions;
using AppProcessor = EcosystemFlows.Azure.ServiceBus.ServiceBusProcessor;
using AppReceivedMessage = EcosystemFlows.Azure.ServiceBus.ServiceBusReceivedMessage;
using ServiceBusReceivedMessage = Azure.Messaging.ServiceBus.ServiceBusReceivedMessage;

namespace EcosystemFlows.IntegrationTests.ServiceBus;

/// <summary>
/// Helpers for the app's Service Bus code against the local emulator (eng/services.sh start servicebus), reached
/// through the real <c>Azure.Messaging.ServiceBus</c> SDK. Entities come from eng/emulators/servicebus/Config.json
/// only (as with Microsoft's emulator), so each test has a queue of its own there (<c>it-*</c>) and empties it
/// first: test classes run in parallel, and a failed earlier run may have left messages behind.
/// </summary>
internal static class ServiceBusTestBroker
{
    public static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(20);

    public static ServiceBusOptions Options(Action<ServiceBusOptions>? configure = null)
    {
        var options = new ServiceBusOptions
        {
            ConnectionString = LocalServices.ServiceBusConnectionString,
            OperationTimeout = TimeSpan.FromSeconds(10),
            MaxReconnectDelay = TimeSpan.FromSeconds(1),
            ShutdownTimeout = TimeSpan.FromSeconds(5),
        };
        configure?.Invoke(options);
        return options;
    }

    /// <summary>A client as the app builds it (one per simulated process).</summary>
    public static ServiceBusClient Client(ServiceBusOptions? options = null) => ServiceBusClientFactory.Create(options ?? Options(), credential: null);

    /// <summary>The app's processor on <paramref name="entity"/>.</summary>
    public static AppProcessor Processor(ServiceBusClient client, ServiceBusEntity entity, Func<AppReceivedMessage, CancellationToken, Task> handler, ServiceBusOptions? options = null) =>
        new(client, entity, handler, options ?? Options(), NullLogger.Instance);

    /// <summary>
    /// Empties <paramref name="queue"/> and its dead-letter sub-queue (receive-and-delete). Locked messages of an
    /// aborted earlier run come back only after their lock; tests therefore also tell their own messages by id.
    /// </summary>
    public static async Task<string> PurgeAsync(string queue)
    {
        await using var client = Client();
        foreach (var subQueue in new[] { SubQueue.None, SubQueue.DeadLetter })
        {
            await using var receiver = client.CreateReceiver(queue, new ServiceBusReceiverOptions { ReceiveMode = ServiceBusReceiveMode.ReceiveAndDelete, SubQueue = subQueue });
            while ((await receiver.ReceiveMessagesAsync(500, TimeSpan.FromMilliseconds(300))).Count > 0)
            {
            }
        }

        return queue;
    }

    /// <summary>A prefix for message ids unique to one test run.</summary>
    public static string RunPrefix(string name) => $"{name}-{Guid.NewGuid():N}-";

    /// <summary>
    /// Receives (peek-lock, then complete) from <paramref name="queue"/>, or its dead-letter sub-queue, until
    /// <paramref name="count"/> messages matching <paramref name="match"/> arrived or <paramref name="timeout"/> passed.
    /// </summary>
    public static async Task<List<ServiceBusReceivedMessage>> ReceiveAsync(string queue, int count, Func<ServiceBusReceivedMessage, bool>? match = null, TimeSpan? timeout = null, bool deadLetters = false)
    {
        await using var client = Client();
        await using var receiver = client.CreateReceiver(queue, new ServiceBusReceiverOptions { SubQueue = deadLetters ? SubQueue.DeadLetter : SubQueue.None, PrefetchCount = 100 });
        var found = new List<ServiceBusReceivedMessage>();
        var clock = Stopwatch.StartNew();
        var limit = timeout ?? WaitTimeout;
        while (found.Count < count && clock.Elapsed < limit)
        {
            var batch = await receiver.ReceiveMessagesAsync(Math.Min(count - found.Count, 200), TimeSpan.FromMilliseconds(500));
            foreach (var message in batch)
            {
                await receiver.CompleteMessageAsync(message);
                if (match?.Invoke(message) ?? true)
                {
                    found.Add(message);
                }
            }
        }

        return found;
    }

    /// <summary>The dead-letter sub-queue (<see cref="SubQueue.DeadLetter"/>) of <paramref name="queue"/>.</summary>
    public static Task<List<ServiceBusReceivedMessage>> ReceiveDeadLettersAsync(string queue, int count, Func<ServiceBusReceivedMessage, bool>? match = null, TimeSpan? timeout = null) =>
        ReceiveAsync(queue, count, match, timeout, deadLetters: true);

    public static async Task WaitUntilAsync(Func<bool> condition, TimeSpan? timeout = null, string? because = null)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > (timeout ?? WaitTimeout))
            {
                throw new Xunit.Sdk.XunitException($"Timed out after {clock.Elapsed.TotalSeconds:0.0} s waiting: {because}");
            }

            await Task.Delay(50);
        }
    }
}

/// <summary>Records what a handler saw, keyed by message id.</summary>
internal sealed class HandledLog
{
    public ConcurrentDictionary<string, int> Counts { get; } = new(StringComparer.Ordinal);

    public ConcurrentQueue<AppReceivedMessage> Messages { get; } = new();

    public void Record(AppReceivedMessage message)
    {
        Messages.Enqueue(message);
        Counts.AddOrUpdate(message.MessageId ?? "", 1, (_, count) => count + 1);
    }
}
