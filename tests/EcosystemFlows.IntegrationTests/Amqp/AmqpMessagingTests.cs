using System.Text;
using Amqp;
using Amqp.Framing;
using Amqp.Types;

namespace EcosystemFlows.IntegrationTests.Amqp;

/// <summary>
/// What the local RabbitMQ (AMQP 1.0 plugin) does with the operations the Service Bus adapter relies on,
/// and where it differs from Azure Service Bus.
/// </summary>
[Collection(AmqpCollection.Name)]
public sealed class AmqpMessagingTests
{
    [Fact]
    public async Task Send_MessageWithServiceBusProperties_ArrivesIntact()
    {
        await using var broker = await AmqpBroker.ConnectAsync();
        var receiver = broker.CreateReceiver(AmqpBroker.TestQueue);
        var sender = broker.CreateSender(AmqpBroker.QueueAddress(AmqpBroker.TestQueue));
        var messageId = AmqpBroker.NewMessageId();
        var body = Encoding.UTF8.GetBytes("""{"specversion":"1.0","type":"com.ecosystemflows.offering.started"}""");
        var enqueueAt = new DateTime(2030, 1, 2, 3, 4, 5, 678, DateTimeKind.Utc);
        var correlationId = Guid.NewGuid().ToString();
        var traceId = Guid.NewGuid();
        var message = new Message
        {
            Header = new Header { Durable = true },
            Properties = new Properties
            {
                MessageId = messageId,
                CorrelationId = correlationId,
                Subject = "offering-42",
                ContentType = "application/json",
                ReplyTo = "offering-replies",
                GroupId = "session-7",
            },
            MessageAnnotations = new MessageAnnotations(),
            ApplicationProperties = new ApplicationProperties(),
            BodySection = new Data { Binary = body },
        };
        message.MessageAnnotations[new Symbol("x-opt-scheduled-enqueue-time")] = enqueueAt;
        message.ApplicationProperties["traceparent"] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        message.ApplicationProperties["attempt"] = 3;
        message.ApplicationProperties["sequence"] = 9_000_000_000L;
        message.ApplicationProperties["urgent"] = true;
        message.ApplicationProperties["score"] = 0.25;
        message.ApplicationProperties["raisedAt"] = enqueueAt;
        message.ApplicationProperties["traceId"] = traceId;

        await sender.SendAsync(message, AmqpBroker.ReceiveTimeout);
        var received = await AmqpBroker.ReceiveExpectedAsync(receiver, messageId, AmqpBroker.TestQueue);
        receiver.Accept(received);

        Assert.True(received.Header.Durable);
        Assert.Equal(correlationId, received.Properties.CorrelationId);
        Assert.Equal("offering-42", received.Properties.Subject);
        Assert.Equal("application/json", (string)received.Properties.ContentType);
        Assert.Equal("offering-replies", received.Properties.ReplyTo);
        Assert.Equal("session-7", received.Properties.GroupId);
        Assert.Equal(body, Assert.IsType<Data>(received.BodySection).Binary);
        Assert.Equal("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", received.ApplicationProperties["traceparent"]);
        Assert.Equal(3, received.ApplicationProperties["attempt"]);
        Assert.Equal(9_000_000_000L, received.ApplicationProperties["sequence"]);
        Assert.Equal(true, received.ApplicationProperties["urgent"]);
        Assert.Equal(0.25, received.ApplicationProperties["score"]);
        Assert.Equal(enqueueAt, received.ApplicationProperties["raisedAt"]);
        Assert.Equal(traceId, received.ApplicationProperties["traceId"]);
        // Service Bus would hold this message back until 2030; RabbitMQ keeps the annotation but
        // delivers at once, so scheduling has to be emulated outside the broker.
        Assert.Equal(enqueueAt, received.MessageAnnotations[new Symbol("x-opt-scheduled-enqueue-time")]);
    }

    [Fact]
    public async Task Accept_ReceivedMessage_IsRemovedFromQueue()
    {
        var messageId = AmqpBroker.NewMessageId();
        await using (var broker = await AmqpBroker.ConnectAsync())
        {
            var receiver = broker.CreateReceiver(AmqpBroker.TestQueue);
            await broker.CreateSender(AmqpBroker.QueueAddress(AmqpBroker.TestQueue)).SendAsync(Durable(messageId), AmqpBroker.ReceiveTimeout);
            receiver.Accept(await AmqpBroker.ReceiveExpectedAsync(receiver, messageId, AmqpBroker.TestQueue));
            await receiver.CloseAsync();
        }

        await using var again = await AmqpBroker.ConnectAsync();
        var redelivered = await AmqpBroker.ReceiveByIdAsync(again.CreateReceiver(AmqpBroker.TestQueue), messageId, AmqpBroker.QuietPeriod * 2);

        Assert.Null(redelivered);
    }

    [Fact]
    public async Task Release_ReceivedMessage_IsRedeliveredWithoutDeliveryCount()
    {
        await using var broker = await AmqpBroker.ConnectAsync();
        var receiver = broker.CreateReceiver(AmqpBroker.TestQueue);
        var messageId = AmqpBroker.NewMessageId();
        await broker.CreateSender(AmqpBroker.QueueAddress(AmqpBroker.TestQueue)).SendAsync(Durable(messageId), AmqpBroker.ReceiveTimeout);

        var first = await AmqpBroker.ReceiveExpectedAsync(receiver, messageId, AmqpBroker.TestQueue);
        receiver.Release(first);
        var second = await AmqpBroker.ReceiveExpectedAsync(receiver, messageId, AmqpBroker.TestQueue);
        receiver.Accept(second);

        // Service Bus counts deliveries (and dead-letters past MaxDeliveryCount); RabbitMQ does not, so
        // the adapter must track attempts itself. Nor is first-acquirer a usable substitute: it turns
        // false on redelivery only until the queue has been recovered from a broker restart.
        Assert.Equal(first.Body, second.Body);
        Assert.Equal(0u, second.Header.DeliveryCount);
    }

    [Fact]
    public async Task Reject_ReceivedMessage_LandsInDeadLetterQueueWithoutReason()
    {
        await using var broker = await AmqpBroker.ConnectAsync();
        var receiver = broker.CreateReceiver(AmqpBroker.TestQueue);
        var deadLetters = broker.CreateReceiver(AmqpBroker.TestDeadLetterQueue);
        await AmqpBroker.DrainAsync(deadLetters);
        var messageId = AmqpBroker.NewMessageId();
        var message = Durable(messageId);
        message.ApplicationProperties = new ApplicationProperties();
        message.ApplicationProperties["tenant"] = "org-1";
        await broker.CreateSender(AmqpBroker.QueueAddress(AmqpBroker.TestQueue)).SendAsync(message, AmqpBroker.ReceiveTimeout);

        var received = await AmqpBroker.ReceiveExpectedAsync(receiver, messageId, AmqpBroker.TestQueue);
        receiver.Reject(received, new Error(new Symbol("com.ecosystemflows:invalid-command")) { Description = "offeringId is missing" });
        var deadLettered = await AmqpBroker.ReceiveExpectedAsync(deadLetters, messageId, AmqpBroker.TestDeadLetterQueue);
        deadLetters.Accept(deadLettered);

        Assert.Equal("offering-42", deadLettered.Properties.Subject);
        Assert.Equal("org-1", deadLettered.ApplicationProperties["tenant"]);
        // The reject's error does not travel, and RabbitMQ's x-death headers are not mapped onto the
        // AMQP 1.0 message either: Service Bus's DeadLetterReason/DeadLetterErrorDescription have to be
        // written by the adapter (publish a copy to <queue>.dlq, then accept the original).
        Assert.Equal(["tenant"], deadLettered.ApplicationProperties.Map.Keys.Select(key => key.ToString()));
        Assert.Null(deadLettered.MessageAnnotations);
        Assert.Null(await AmqpBroker.ReceiveByIdAsync(receiver, messageId, AmqpBroker.QuietPeriod));
    }

    [Fact]
    public async Task Modify_ReceivedMessage_EndsSessionAndRequeues()
    {
        var messageId = AmqpBroker.NewMessageId();
        await using var broker = await AmqpBroker.ConnectAsync();
        var receiver = broker.CreateReceiver(AmqpBroker.TestQueue);
        await broker.CreateSender(AmqpBroker.QueueAddress(AmqpBroker.TestQueue)).SendAsync(Durable(messageId), AmqpBroker.ReceiveTimeout);
        var received = await AmqpBroker.ReceiveExpectedAsync(receiver, messageId, AmqpBroker.TestQueue);

        // Abandon with properties (Modify) is what Service Bus clients send; RabbitMQ 3.10 answers it by
        // ending the whole session ("Unrecognised state"), which releases its unsettled messages.
        receiver.Modify(received, deliveryFailed: true, undeliverableHere: false, messageAnnotations: null);
        var ended = await WaitUntilAsync(() => broker.IsSessionClosed);
        await using var other = await AmqpBroker.ConnectAsync();
        var fresh = other.CreateReceiver(AmqpBroker.TestQueue);
        var requeued = await AmqpBroker.ReceiveExpectedAsync(fresh, messageId, AmqpBroker.TestQueue);
        fresh.Accept(requeued);

        Assert.True(ended, "RabbitMQ kept the session open after a Modify outcome.");
        Assert.Contains("Unrecognised state", broker.SessionError?.Description, StringComparison.Ordinal);
        Assert.False(broker.IsConnectionClosed);
    }

    [Fact]
    public async Task Publish_ToEventsExchangeWithRoutingKey_FansOutToBoundSubscriptionQueue()
    {
        await using var broker = await AmqpBroker.ConnectAsync();
        var subscription = broker.CreateReceiver(AmqpBroker.TestSubscriptionQueue);
        var messageId = AmqpBroker.NewMessageId();
        var publisher = broker.CreateSender(AmqpBroker.ExchangeAddress(AmqpBroker.EventsExchange, "com.ecosystemflows.offering.started"));
        var message = Durable(messageId);
        message.Properties.ContentType = "application/cloudevents+json";

        await publisher.SendAsync(message, AmqpBroker.ReceiveTimeout);
        var received = await AmqpBroker.ReceiveExpectedAsync(subscription, messageId, AmqpBroker.TestSubscriptionQueue);
        subscription.Accept(received);

        Assert.Equal("offering-42", received.Properties.Subject);
        Assert.Equal("application/cloudevents+json", (string)received.Properties.ContentType);
    }

    [Fact]
    public async Task Send_ToMissingQueue_IsAcceptedAndDropped()
    {
        await using var broker = await AmqpBroker.ConnectAsync();
        var missing = $"missing-{Guid.NewGuid():N}";

        // Service Bus refuses the attach (amqp:not-found); RabbitMQ routes to nowhere and still
        // reports the delivery as accepted, so a misspelt entity name loses messages silently.
        await broker.CreateSender(AmqpBroker.QueueAddress(missing)).SendAsync(Durable(AmqpBroker.NewMessageId()), AmqpBroker.ReceiveTimeout);

        var receiver = broker.CreateReceiver(missing);
        var error = await Assert.ThrowsAsync<AmqpException>(() => receiver.ReceiveAsync(AmqpBroker.ReceiveTimeout));
        Assert.Equal("amqp:not-found", (string)error.Error.Condition);
    }

    [Fact]
    public async Task Connect_WrongPassword_IsRefused()
    {
        var error = await Assert.ThrowsAsync<AmqpException>(() => AmqpBroker.ConnectAsync(password: "not-the-password"));

        Assert.Equal("amqp:unauthorized-access", (string)error.Error.Condition);
    }

    private static Message Durable(string messageId) => new("payload")
    {
        Header = new Header { Durable = true },
        Properties = new Properties { MessageId = messageId, Subject = "offering-42" },
    };

    private static async Task<bool> WaitUntilAsync(Func<bool> condition)
    {
        for (var attempt = 0; attempt < 50 && !condition(); attempt++)
        {
            await Task.Delay(100);
        }

        return condition();
    }
}
