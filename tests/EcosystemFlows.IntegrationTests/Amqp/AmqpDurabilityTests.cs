using Amqp;
using Amqp.Framing;

namespace EcosystemFlows.IntegrationTests.Amqp;

/// <summary>Messages in durable queues across a stop and start of the broker by eng/services.sh.</summary>
[Collection(ServiceRestartsCollection.Name)]
public sealed class AmqpDurabilityTests
{
    [Fact]
    public async Task BrokerRestart_DurableAndTransientMessages_OnlyDurableSurvives()
    {
        var durableId = AmqpBroker.NewMessageId();
        var transientId = AmqpBroker.NewMessageId();
        await using (var broker = await AmqpBroker.ConnectAsync())
        {
            var sender = broker.CreateSender(AmqpBroker.QueueAddress(AmqpBroker.TestQueue));
            await sender.SendAsync(Message(durableId, durable: true), AmqpBroker.ReceiveTimeout);
            await sender.SendAsync(Message(transientId, durable: false), AmqpBroker.ReceiveTimeout);
        }

        await ServiceControl.RestartAsync("rabbitmq");

        await using var restarted = await AmqpBroker.ConnectAsync();
        var receiver = restarted.CreateReceiver(AmqpBroker.TestQueue);
        var survivors = new List<Message>();
        // The transient message was sent after the durable one, so keep reading until the queue is
        // quiet: a survivor would come behind it.
        var wait = AmqpBroker.ReceiveTimeout;
        while (await receiver.ReceiveAsync(wait) is { } message)
        {
            receiver.Accept(message);
            survivors.Add(message);
            if (message.Properties?.MessageId == durableId)
            {
                wait = AmqpBroker.QuietPeriod;
            }
        }

        var ids = survivors.Select(message => message.Properties?.MessageId).ToList();
        Assert.Contains(durableId, ids);
        // Service Bus stores every message durably; RabbitMQ drops messages sent without
        // header.durable=true on restart, so the adapter must always set it.
        Assert.DoesNotContain(transientId, ids);
        Assert.Equal("payload", survivors.Single(message => message.Properties?.MessageId == durableId).Body);
    }

    private static Message Message(string messageId, bool durable) => new("payload")
    {
        Header = new Header { Durable = durable },
        Properties = new Properties { MessageId = messageId },
    };
}
