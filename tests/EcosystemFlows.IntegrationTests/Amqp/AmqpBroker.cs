using System.Diagnostics;
using System.Net.Sockets;
using Amqp;
using Amqp.Framing;

namespace EcosystemFlows.IntegrationTests.Amqp;

/// <summary>
/// An AMQPNetLite connection straight to the local RabbitMQ broker named by
/// <see cref="LocalServices.ServiceBusConnectionString"/>. The tests talk to the broker without the app's
/// adapter on purpose: they pin down what the broker itself does, which is what the adapter's dialect
/// has to match.
/// </summary>
internal sealed class AmqpBroker : IAsyncDisposable
{
    /// <summary>Queue reserved for these tests, so they never take messages from the app's queues.</summary>
    public const string TestQueue = "integration-tests";

    /// <summary>Where the broker's dead-letter policy sends what <see cref="TestQueue"/> rejects.</summary>
    public const string TestDeadLetterQueue = "integration-tests.dlq";

    /// <summary>The topic exchange standing in for the Service Bus topic.</summary>
    public const string EventsExchange = "offering-events";

    /// <summary>The tests' own subscription queue, bound to <see cref="EventsExchange"/> with <c>#</c>.</summary>
    public const string TestSubscriptionQueue = "integration-tests.events";

    /// <summary>RabbitMQ 3.10 can overrun small link credit, and AMQPNetLite then closes the connection.</summary>
    public const int Credit = 100;

    /// <summary>Short, so a missing or hung broker fails the test within seconds.</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How long to wait for a message that is expected to arrive.</summary>
    public static readonly TimeSpan ReceiveTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How long to wait before concluding that no (further) message will arrive.</summary>
    public static readonly TimeSpan QuietPeriod = TimeSpan.FromMilliseconds(500);

    private readonly Connection _connection;
    private readonly Session _session;

    private AmqpBroker(Connection connection)
    {
        _connection = connection;
        _session = new Session(connection);
    }

    /// <summary>The broker's endpoint and credentials, parsed from the Service Bus connection string.</summary>
    public static BrokerEndpoint Endpoint => BrokerEndpoint.Parse(LocalServices.ServiceBusConnectionString);

    /// <summary>Opens a connection with SASL PLAIN, using the connection string's key unless told otherwise.</summary>
    public static async Task<AmqpBroker> ConnectAsync(string? password = null)
    {
        var endpoint = Endpoint;
        var address = new Address(endpoint.Host, endpoint.Port, endpoint.User, password ?? endpoint.Password, "/", endpoint.Scheme);
        try
        {
            var connection = await Connection.Factory.CreateAsync(address).WaitAsync(ConnectTimeout);
            return new AmqpBroker(connection);
        }
        catch (Exception ex) when (ex is TimeoutException or SocketException)
        {
            throw new InvalidOperationException(
                $"No AMQP connection to {endpoint.Host}:{endpoint.Port} within {ConnectTimeout.TotalSeconds} s ({ex.Message}); is the broker up (eng/services.sh start rabbitmq)?",
                ex);
        }
    }

    /// <summary>RabbitMQ's AMQP 1.0 address of an existing queue (receive from it or send straight to it).</summary>
    public static string QueueAddress(string queue) => $"/amq/queue/{queue}";

    /// <summary>RabbitMQ's AMQP 1.0 address for publishing to an exchange with a routing key.</summary>
    public static string ExchangeAddress(string exchange, string routingKey) => $"/exchange/{exchange}/{routingKey}";

    /// <summary>A new message id, so a test recognises its own messages among leftovers of earlier runs.</summary>
    public static string NewMessageId() => $"amqp-test-{Guid.NewGuid():N}";

    /// <summary>True once the broker ended this connection's session (and with it every link on it).</summary>
    public bool IsSessionClosed => _session.IsClosed;

    /// <summary>The error the broker ended the session with, if any.</summary>
    public Error? SessionError => _session.Error;

    public bool IsConnectionClosed => _connection.IsClosed;

    public SenderLink CreateSender(string address) => new(_session, $"sender-{Guid.NewGuid():N}", address);

    public ReceiverLink CreateReceiver(string queue)
    {
        var receiver = new ReceiverLink(_session, $"receiver-{Guid.NewGuid():N}", QueueAddress(queue));
        receiver.SetCredit(Credit);
        return receiver;
    }

    /// <summary>
    /// A private subscription: the broker binds a temporary queue, deleted with the link, to
    /// <paramref name="exchange"/> with <paramref name="bindingKey"/>, so no other consumer competes for its messages.
    /// </summary>
    public ReceiverLink CreateSubscriber(string exchange, string bindingKey)
    {
        var receiver = new ReceiverLink(_session, $"subscriber-{Guid.NewGuid():N}", ExchangeAddress(exchange, bindingKey));
        receiver.SetCredit(Credit);
        return receiver;
    }

    /// <summary>Accepts (discards) whatever an earlier run left in the receiver's queue.</summary>
    public static async Task DrainAsync(ReceiverLink receiver)
    {
        while (await receiver.ReceiveAsync(QuietPeriod) is { } leftover)
        {
            receiver.Accept(leftover);
        }
    }

    /// <summary>
    /// Receives until the message with <paramref name="messageId"/> arrives, accepting anything else on the
    /// way (leftovers of earlier runs); null when it does not arrive within <paramref name="timeout"/>.
    /// </summary>
    public static async Task<Message?> ReceiveByIdAsync(ReceiverLink receiver, string messageId, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (timeout - deadline.Elapsed is var remaining && remaining > TimeSpan.Zero)
        {
            var message = await receiver.ReceiveAsync(remaining);
            if (message is null)
            {
                return null;
            }

            if (message.Properties?.MessageId == messageId)
            {
                return message;
            }

            receiver.Accept(message);
        }

        return null;
    }

    /// <summary>As <see cref="ReceiveByIdAsync"/>, but a missing message fails the test.</summary>
    public static async Task<Message> ReceiveExpectedAsync(ReceiverLink receiver, string messageId, string queue)
    {
        return await ReceiveByIdAsync(receiver, messageId, ReceiveTimeout)
            ?? throw new Xunit.Sdk.XunitException($"Message {messageId} did not arrive in queue '{queue}' within {ReceiveTimeout.TotalSeconds} s.");
    }

    public async ValueTask DisposeAsync() => await _connection.CloseAsync();
}

/// <summary>
/// Host, port and SASL PLAIN credentials from a Service Bus connection string
/// (<c>Endpoint=amqp://host:port/;SharedAccessKeyName=user;SharedAccessKey=password</c>).
/// </summary>
internal sealed record BrokerEndpoint(string Scheme, string Host, int Port, string User, string Password)
{
    public static BrokerEndpoint Parse(string connectionString)
    {
        var parts = connectionString
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(part => part.Split('=', 2))
            .Where(pair => pair.Length == 2)
            .ToDictionary(pair => pair[0], pair => pair[1], StringComparer.OrdinalIgnoreCase);

        string Required(string key) => parts.TryGetValue(key, out var value) && value.Length > 0
            ? value
            : throw new FormatException($"The Service Bus connection string has no {key}.");

        var endpoint = new Uri(Required("Endpoint"));
        // Azure writes sb:// (TLS on 5671); the local broker is plain amqp:// on 5672.
        var tls = !endpoint.Scheme.Equals("amqp", StringComparison.OrdinalIgnoreCase);
        var port = endpoint.IsDefaultPort || endpoint.Port <= 0 ? (tls ? 5671 : 5672) : endpoint.Port;
        return new BrokerEndpoint(tls ? "AMQPS" : "AMQP", endpoint.Host, port, Required("SharedAccessKeyName"), Required("SharedAccessKey"));
    }
}
