using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Amqp;
using Amqp.Framing;
using Amqp.Sasl;
using Azure.Messaging.ServiceBus;

namespace EcosystemFlows.ServiceBusEmulator.Tests;

/// <summary>
/// AMQP <c>released</c>, which the SDK sends for deliveries no receive call waited for (prefetch 0), driven here by a
/// plain AMQP client because the SDK sends it only when timing makes it: Service Bus unlocks such a message at once and
/// does not count the delivery; a link closed with unsettled deliveries leaves their locks until they expire.
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed class ReleaseTests(EmulatorFixture fixture)
{
    private const string Queue = "release";
    private const string ClosedQueue = "release-closed";

    [Fact]
    public async Task Released_ByClient_IsAvailableAtOnce_AndTheDeliveryIsNotCounted()
    {
        await SendAsync("released");
        var connection = await ConnectAsync();
        try
        {
            var session = new Session(connection);
            for (var i = 0; i < 3; i++)
            {
                // More releases than MaxDeliveryCount (2): not dead-lettered, since none counts.
                var receiver = PeekLockReceiver(session, $"r{i}");
                var message = await receiver.ReceiveAsync(TimeSpan.FromSeconds(5));
                Assert.NotNull(message);
                Assert.Equal(0u, message.Header.DeliveryCount);
                receiver.Release(message);
                await receiver.CloseAsync();
            }
        }
        finally
        {
            await connection.CloseAsync();
        }

        await using var sdk = fixture.Client.CreateReceiver(Queue);
        var again = await sdk.ReceiveMessageAsync(TimeSpan.FromSeconds(5));
        Assert.NotNull(again);
        Assert.Equal(("released", 1), (again.Body.ToString(), again.DeliveryCount));
        await sdk.CompleteMessageAsync(again);
    }

    [Fact]
    public async Task LinkClosed_WithUnsettledDelivery_LockStaysUntilItExpires()
    {
        await SendAsync("left-locked", ClosedQueue);
        var connection = await ConnectAsync(ClosedQueue);
        try
        {
            var session = new Session(connection);
            var receiver = PeekLockReceiver(session, "holder", ClosedQueue);
            Assert.NotNull(await receiver.ReceiveAsync(TimeSpan.FromSeconds(5)));
            await receiver.CloseAsync();
        }
        finally
        {
            await connection.CloseAsync();
        }

        // Still locked (LockDuration 10 s), though peek sees it; back after the lock, as a second delivery.
        await using var sdk = fixture.Client.CreateReceiver(ClosedQueue);
        Assert.Null(await sdk.ReceiveMessageAsync(TimeSpan.FromSeconds(1.5)));
        Assert.Equal("left-locked", (await sdk.PeekMessageAsync(fromSequenceNumber: 0)).Body.ToString());
        var back = await sdk.ReceiveMessageAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(("left-locked", 2), (back?.Body.ToString(), back?.DeliveryCount));
        await sdk.CompleteMessageAsync(back);
    }

    private async Task SendAsync(string body, string queue = Queue)
    {
        await using var sender = fixture.Client.CreateSender(queue);
        await sender.SendMessageAsync(new ServiceBusMessage(body));
    }

    private static ReceiverLink PeekLockReceiver(Session session, string name, string queue = Queue)
    {
        var receiver = new ReceiverLink(session, name, new Attach
        {
            Source = new Source { Address = queue },
            Target = new Target(),
            SndSettleMode = SenderSettleMode.Unsettled,
            RcvSettleMode = ReceiverSettleMode.First,
        }, null);
        receiver.SetCredit(1, autoRestore: false);
        return receiver;
    }

    /// <summary>An AMQP connection authorized for the namespace through $cbs, as the SDK does it.</summary>
    private async Task<Connection> ConnectAsync(string queue = Queue)
    {
        var factory = new ConnectionFactory();
        factory.SASL.Profile = SaslProfile.Anonymous;
        var connection = await factory.CreateAsync(new Address($"amqp://127.0.0.1:{fixture.Emulator.Port}"));
        var session = new Session(connection);
        var sender = new SenderLink(session, "cbs-sender", "$cbs");
        var replies = new ReceiverLink(session, "cbs-receiver", new Attach { Source = new Source { Address = "$cbs" }, Target = new Target { Address = "cbs-reply" } }, null);
        replies.SetCredit(1);
        var resource = $"sb://localhost:{fixture.Emulator.Port}/";
        var encoded = Uri.EscapeDataString(resource);
        var expiry = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var hmac = new HMACSHA256(Encoding.UTF8.GetBytes(EmulatorProcess.Key));
        var signature = Convert.ToBase64String(hmac.ComputeHash(Encoding.UTF8.GetBytes(encoded + "\n" + expiry)));
        var token = $"SharedAccessSignature sr={encoded}&sig={Uri.EscapeDataString(signature)}&se={expiry}&skn={EmulatorProcess.KeyName}";
        var request = new Message(token)
        {
            Properties = new Properties { MessageId = "put-token", ReplyTo = "cbs-reply" },
            ApplicationProperties = new ApplicationProperties(),
        };
        request.ApplicationProperties["operation"] = "put-token";
        request.ApplicationProperties["type"] = "servicebus.windows.net:sastoken";
        request.ApplicationProperties["name"] = resource + queue;
        await sender.SendAsync(request);
        var response = await replies.ReceiveAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(202, response?.ApplicationProperties["status-code"]);
        return connection;
    }
}
