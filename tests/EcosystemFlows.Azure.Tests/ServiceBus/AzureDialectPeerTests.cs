using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Amqp;
using Amqp.Framing;
using Amqp.Listener;
using Amqp.Types;
using Azure.Core;
using EcosystemFlows.Azure.ServiceBus;
using EcosystemFlows.Azure.ServiceBus.Auth;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Moq;

namespace EcosystemFlows.Azure.Tests.ServiceBus;

/// <summary>
/// The Azure dialect against an in-process AMQP peer (AMQPNetLite's ContainerHost on loopback) that plays
/// Service Bus's part: anonymous SASL, a <c>$cbs</c> node that must authorize each entity, a queue that
/// accepts sends and hands out messages. Nothing leaves the process; TLS is left out (amqp:// endpoint).
/// </summary>
public sealed class AzureDialectPeerTests : IAsyncLifetime
{
    private readonly FakeServiceBus _peer = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        _peer.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task SendToQueue_AzureDialect_PutsSasTokenOnCbsBeforeUsingTheEntity()
    {
        await using var connection = _peer.Connect();

        await new ServiceBusSender(connection).SendToQueueAsync("offering-commands", new ServiceBusMessage("{}"u8.ToArray()) { MessageId = "m-1" });

        var put = Assert.Single(_peer.TokenRequests);
        Assert.Equal("put-token", put.ApplicationProperties["operation"]);
        Assert.Equal("servicebus.windows.net:sastoken", put.ApplicationProperties["type"]);
        Assert.Equal("amqps://127.0.0.1/offering-commands", put.ApplicationProperties["name"]);
        Assert.IsType<DateTime>(put.ApplicationProperties["expiration"]);
        Assert.StartsWith("SharedAccessSignature sr=amqps%3A%2F%2F127.0.0.1%2Foffering-commands&sig=", (string)put.Body, StringComparison.Ordinal);
        Assert.EndsWith("&skn=RootManageSharedAccessKey", (string)put.Body, StringComparison.Ordinal);
        Assert.Equal(["m-1"], _peer.Sent.Select(m => m.Properties.MessageId));
        Assert.True(_peer.Sent.Single().Header.Durable);
    }

    [Fact]
    public async Task SendToQueue_CbsRefusesToken_ThrowsUnauthorizedWithoutRetrying()
    {
        _peer.TokenStatus = 401;
        await using var connection = _peer.Connect();

        var error = await Assert.ThrowsAsync<UnauthorizedAccessException>(() =>
            new ServiceBusSender(connection).SendToQueueAsync("offering-commands", new ServiceBusMessage("{}"u8.ToArray())));

        Assert.Contains("401", error.Message, StringComparison.Ordinal);
        Assert.Single(_peer.TokenRequests);
        Assert.Empty(_peer.Sent);
    }

    [Fact]
    public async Task Send_EntraTokenProvider_PutsTheJwtOncePerEntityAudience()
    {
        var credential = new Mock<TokenCredential>();
        credential.Setup(c => c.GetTokenAsync(It.IsAny<TokenRequestContext>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(new AccessToken("entra-jwt", DateTimeOffset.UtcNow.AddHours(1)));
        await using var connection = _peer.Connect(new MicrosoftEntraTokenProvider(credential.Object), TimeProvider.System);
        var sender = new ServiceBusSender(connection);

        await sender.SendToQueueAsync("offering-commands", new ServiceBusMessage("{}"u8.ToArray()));
        await sender.SendToQueueAsync("offering-commands", new ServiceBusMessage("{}"u8.ToArray()));
        await sender.SendToTopicAsync("offering-events", new ServiceBusMessage("{}"u8.ToArray()));

        Assert.Equal(
            ["amqps://127.0.0.1/offering-commands", "amqps://127.0.0.1/offering-events"],
            _peer.TokenRequests.Select(r => (string)r.ApplicationProperties["name"]));
        Assert.All(_peer.TokenRequests, r =>
        {
            Assert.Equal("put-token", r.ApplicationProperties["operation"]);
            Assert.Equal("jwt", r.ApplicationProperties["type"]);
            Assert.Equal("entra-jwt", (string)r.Body);
        });
        Assert.Equal(3, _peer.Sent.Count);
    }

    [Fact]
    public async Task Renewal_EntraTokenCloseToExpiry_PutsAFreshTokenBeforeItExpires()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var firstExpiry = time.GetUtcNow().AddMinutes(10);
        var credential = new Mock<TokenCredential>();
        credential.SetupSequence(c => c.GetTokenAsync(It.IsAny<TokenRequestContext>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(new AccessToken("jwt-expiring", firstExpiry))
            .ReturnsAsync(new AccessToken("jwt-fresh", time.GetUtcNow().AddHours(1)));
        await using var connection = _peer.Connect(new MicrosoftEntraTokenProvider(credential.Object), time);
        await new ServiceBusSender(connection).SendToQueueAsync("offering-commands", new ServiceBusMessage("{}"u8.ToArray()));

        // The renewal loop wakes every TokenLifetime/20 (3 min) and renews what expires within TokenLifetime/5 (12 min).
        for (var i = 0; i < 100 && _peer.TokenRequests.Count < 2; i++)
        {
            time.Advance(TimeSpan.FromSeconds(30));
            await Task.Delay(20);
        }

        Assert.Equal(["jwt-expiring", "jwt-fresh"], _peer.TokenRequests.Select(r => (string)r.Body));
        var renewal = _peer.TokenRequests.Last();
        Assert.Equal("jwt", renewal.ApplicationProperties["type"]);
        Assert.Equal("amqps://127.0.0.1/offering-commands", renewal.ApplicationProperties["name"]);
        Assert.True(time.GetUtcNow() < firstExpiry, $"renewed at {time.GetUtcNow():O}, after the first token expired");
        Assert.True((DateTime)renewal.ApplicationProperties["expiration"] > DateTime.UtcNow.AddMinutes(30));
    }

    [Fact]
    public async Task Process_AzureDialect_SettlesWithServiceBusOutcomes()
    {
        _peer.Enqueue("complete-me", deliveryCount: 0);
        _peer.Enqueue("poison", deliveryCount: 0);
        _peer.Enqueue("transient", deliveryCount: 0);
        _peer.Enqueue("last-attempt", deliveryCount: 4);
        await using var connection = _peer.Connect();
        var seen = new ConcurrentDictionary<string, int>();
        await using var processor = new ServiceBusProcessor(connection, ServiceBusEntity.Queue("offering-commands"), (message, _) =>
        {
            seen[message.MessageId!] = message.DeliveryCount;
            return message.MessageId switch
            {
                "poison" => throw new DeadLetterMessageException("ValidationFailed", "offeringId is missing"),
                "transient" or "last-attempt" => throw new TimeoutException("downstream timed out"),
                _ => Task.CompletedTask,
            };
        });

        await processor.StartAsync();
        await WaitUntilAsync(() => _peer.Outcomes.Count == 4);
        await processor.StopAsync();

        Assert.IsType<Accepted>(_peer.Outcomes["complete-me"]);
        var deadLetter = Assert.IsType<Rejected>(_peer.Outcomes["poison"]);
        Assert.Equal("com.microsoft:dead-letter", (string)deadLetter.Error.Condition);
        Assert.Equal("ValidationFailed", deadLetter.Error.Info[new Symbol("DeadLetterReason")]);
        Assert.Equal("offeringId is missing", deadLetter.Error.Info[new Symbol("DeadLetterErrorDescription")]);
        // Abandon is Service Bus's modified(delivery-failed): the broker counts the delivery.
        var abandoned = Assert.IsType<Modified>(_peer.Outcomes["transient"]);
        Assert.True(abandoned.DeliveryFailed);
        Assert.False(abandoned.UndeliverableHere);
        // Header delivery-count 4 = fifth delivery = the default max: dead-lettered by this client.
        Assert.Equal(5, seen["last-attempt"]);
        Assert.Equal("MaxDeliveryCountExceeded", ((Rejected)_peer.Outcomes["last-attempt"]).Error.Info[new Symbol("DeadLetterReason")]);
        Assert.Contains(_peer.TokenRequests, r => (string)r.ApplicationProperties["name"] == "amqps://127.0.0.1/offering-commands");
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(50);
        }

        Assert.True(condition(), "timed out");
    }

    /// <summary>A minimal Service Bus stand-in: $cbs, one queue to send to and receive from.</summary>
    private sealed class FakeServiceBus : IDisposable, IRequestProcessor, IMessageSource
    {
        private readonly ContainerHost _host;
        private readonly ConcurrentQueue<Message> _available = new();
        private readonly ConcurrentDictionary<string, byte> _authorized = new();
        private int _closed;

        public FakeServiceBus()
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            Port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            _host = new ContainerHost(new Address($"amqp://127.0.0.1:{Port}"));
            _host.Listeners[0].SASL.EnableAnonymousMechanism = true;
            _host.RegisterRequestProcessor("$cbs", this);
            _host.RegisterMessageProcessor("offering-commands", new EntityProcessor(this, "offering-commands"));
            _host.RegisterMessageProcessor("offering-events", new EntityProcessor(this, "offering-events"));
            _host.RegisterMessageSource("offering-commands", this);
            _host.Open();
        }

        public int Port { get; }

        public int TokenStatus { get; set; } = 200;

        public ConcurrentQueue<Message> TokenRequests { get; } = new();

        public ConcurrentQueue<Message> Sent { get; } = new();

        public ConcurrentDictionary<string, DeliveryState> Outcomes { get; } = new();

        int IRequestProcessor.Credit => 10;

        public ServiceBusConnection Connect() => new(Options.Create(new ServiceBusOptions
        {
            ConnectionString = $"Endpoint=amqp://127.0.0.1:{Port}/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=c2VjcmV0",
            ConnectTimeout = TimeSpan.FromSeconds(5),
            OperationTimeout = TimeSpan.FromSeconds(5),
            ShutdownTimeout = TimeSpan.FromSeconds(2),
        }));

        /// <summary>A connection with no key in its connection string: every entity is authorized with <paramref name="tokens"/>.</summary>
        public ServiceBusConnection Connect(ICbsTokenProvider tokens, TimeProvider time) => new(
            Options.Create(new ServiceBusOptions
            {
                ConnectionString = $"Endpoint=amqp://127.0.0.1:{Port}/",
                ConnectTimeout = TimeSpan.FromSeconds(5),
                OperationTimeout = TimeSpan.FromSeconds(5),
            }),
            timeProvider: time,
            tokenProvider: tokens);

        public void Enqueue(string messageId, uint deliveryCount) => _available.Enqueue(new Message("{}")
        {
            Header = new Header { DeliveryCount = deliveryCount },
            Properties = new Properties { MessageId = messageId },
        });

        public void Process(RequestContext requestContext)
        {
            var request = requestContext.Message;
            TokenRequests.Enqueue(request);
            if (TokenStatus == 200)
            {
                _authorized[(string)request.ApplicationProperties["name"]] = 0;
            }

            requestContext.Complete(new Message
            {
                Properties = new Properties { CorrelationId = request.Properties.MessageId },
                ApplicationProperties = new ApplicationProperties { ["status-code"] = TokenStatus, ["status-description"] = TokenStatus == 200 ? "OK" : "Unauthorized" },
            });
        }

        private void Accept(string entity, MessageContext messageContext)
        {
            // Service Bus refuses an entity that was not authorized through CBS first.
            if (!_authorized.ContainsKey($"amqps://127.0.0.1/{entity}"))
            {
                messageContext.Complete(new Error(ErrorCode.UnauthorizedAccess) { Description = "no put-token for the entity" });
                return;
            }

            Sent.Enqueue(messageContext.Message);
            messageContext.Complete();
        }

        public async Task<ReceiveContext> GetMessageAsync(ListenerLink link)
        {
            while (true)
            {
                if (_available.TryDequeue(out var message))
                {
                    return new ReceiveContext(link, message);
                }

                await Task.Delay(20);
            }
        }

        public void DisposeMessage(ReceiveContext receiveContext, DispositionContext dispositionContext)
        {
            Outcomes[receiveContext.Message.Properties.MessageId] = dispositionContext.DeliveryState;
            dispositionContext.Complete();
        }

        public void Dispose()
        {
            // The host disposes registered processors when it closes, which lands here again.
            if (Interlocked.Exchange(ref _closed, 1) == 0)
            {
                _host.Close();
            }
        }

        /// <summary>Accepts what is sent to one entity, if it was authorized.</summary>
        private sealed class EntityProcessor(FakeServiceBus bus, string entity) : IMessageProcessor
        {
            public int Credit => 10;

            public void Process(MessageContext messageContext) => bus.Accept(entity, messageContext);
        }
    }
}
