using System.Collections.Concurrent;
using System.Diagnostics;
using Amqp;
using Amqp.Framing;
using EcosystemFlows.Azure.ServiceBus;
using Microsoft.Extensions.Logging.Abstractions;
using AmqpBroker = EcosystemFlows.IntegrationTests.Amqp.AmqpBroker;

namespace EcosystemFlows.IntegrationTests.ServiceBus;

/// <summary>Helpers for the Service Bus adapter's tests against the local RabbitMQ broker.</summary>
internal static class ServiceBusTestBroker
{
    public static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(20);

    public static ServiceBusOptions Options(Action<ServiceBusOptions>? configure = null)
    {
        var options = new ServiceBusOptions
        {
            ConnectionString = LocalServices.ServiceBusConnectionString,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            OperationTimeout = TimeSpan.FromSeconds(10),
            MaxReconnectDelay = TimeSpan.FromSeconds(1),
            ShutdownTimeout = TimeSpan.FromSeconds(5),
        };
        configure?.Invoke(options);
        return options;
    }

    public static ServiceBusConnection Connect(Action<ServiceBusOptions>? configure = null) =>
        new(Microsoft.Extensions.Options.Options.Create(Options(configure)), NullLogger<ServiceBusConnection>.Instance);

    /// <summary>
    /// A durable queue (and its <c>.dlq</c>) of its own for one test: RabbitMQ's AMQP 1.0 plugin declares
    /// the queue when a link attaches to <c>/queue/&lt;name&gt;</c>, durable when the terminus is (a
    /// non-durable terminus declares a non-durable queue); the adapter then receives from it as
    /// <c>/amq/queue/&lt;name&gt;</c>, as from the queues of the definitions file.
    /// </summary>
    public static async Task<string> CreateQueueAsync(string prefix, bool withDeadLetterQueue = true)
    {
        var name = LocalServices.UniqueName($"sbtest-{prefix}-");
        var endpoint = AmqpBroker.Endpoint;
        var address = new Address(endpoint.Host, endpoint.Port, endpoint.User, endpoint.Password, "/", endpoint.Scheme);
        var connection = await Connection.Factory.CreateAsync(address).WaitAsync(WaitTimeout);
        try
        {
            var session = new Session(connection);
            foreach (var queue in withDeadLetterQueue ? [name, $"{name}.dlq"] : new[] { name })
            {
                // Attaching a receiver declares the queue without putting anything in it.
                var attached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                var receiver = new ReceiverLink(session, $"declare-{Guid.NewGuid():N}", new Source { Address = $"/queue/{queue}", Durable = 2 }, (_, _) => attached.TrySetResult());
                await attached.Task.WaitAsync(WaitTimeout);
                await receiver.CloseAsync();
            }

            await session.CloseAsync();
        }
        finally
        {
            await connection.CloseAsync();
        }

        return name;
    }

    /// <summary>Receives from a queue with the raw AMQP client until <paramref name="count"/> messages matching <paramref name="match"/> arrived.</summary>
    public static async Task<List<Message>> ReceiveRawAsync(string queue, int count, Func<Message, bool>? match = null, TimeSpan? timeout = null)
    {
        await using var broker = await AmqpBroker.ConnectAsync();
        var receiver = broker.CreateReceiver(queue);
        var found = new List<Message>();
        var clock = Stopwatch.StartNew();
        var limit = timeout ?? WaitTimeout;
        while (found.Count < count && clock.Elapsed < limit)
        {
            var message = await receiver.ReceiveAsync(TimeSpan.FromMilliseconds(500));
            if (message is null)
            {
                continue;
            }

            receiver.Accept(message);
            if (match?.Invoke(message) ?? true)
            {
                found.Add(message);
            }
        }

        return found;
    }

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

    public ConcurrentQueue<ServiceBusReceivedMessage> Messages { get; } = new();

    public void Record(ServiceBusReceivedMessage message)
    {
        Messages.Enqueue(message);
        Counts.AddOrUpdate(message.MessageId ?? "", 1, (_, count) => count + 1);
    }
}
