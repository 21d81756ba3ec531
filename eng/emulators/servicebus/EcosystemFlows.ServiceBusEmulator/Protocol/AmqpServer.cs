using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Amqp;
using Amqp.Framing;
using Amqp.Handler;
using Amqp.Listener;
using Amqp.Sasl;
using Amqp.Types;
using EcosystemFlows.ServiceBusEmulator.Messaging;
using Microsoft.Extensions.Logging;
using static EcosystemFlows.ServiceBusEmulator.Messaging.Broker;
using ServiceBusBroker = EcosystemFlows.ServiceBusEmulator.Messaging.Broker;

namespace EcosystemFlows.ServiceBusEmulator.Protocol;

/// <summary>
/// The AMQP 1.0 face of the emulator, speaking what Azure.Messaging.ServiceBus expects (ARCHITECTURE.md §5):
/// SASL MSSBCBS, $cbs put-token, entity links, lock tokens as delivery tags, and the $management operations.
/// </summary>
internal sealed partial class AmqpServer : ILinkProcessor, IDisposable
{
    private static readonly ConditionalWeakTable<Message, byte[]> DeliveryTags = [];
    private readonly ContainerHost host;
    private readonly ServiceBusBroker broker;
    private readonly Sas sas;
    private readonly int maxMessageSize;
    private readonly ILogger logger;
    private readonly ConditionalWeakTable<Connection, ConnectionState> connections = [];

    public AmqpServer(ServiceBusBroker broker, int port, Sas sas, int maxMessageSize, ILogger logger)
    {
        this.broker = broker;
        this.sas = sas;
        this.maxMessageSize = maxMessageSize;
        this.logger = logger;
        host = new ContainerHost(new Address($"amqp://127.0.0.1:{port}"));
        var listener = host.Listeners[0];
        listener.SASL.EnableMechanism((Symbol)"MSSBCBS", new CbsSaslProfile());
        listener.SASL.EnableAnonymousMechanism = true;
        listener.AMQP.ContainerId = "ecoflows-servicebus-emulator";
        listener.HandlerFactory = _ => new TagHandler();
        host.RegisterLinkProcessor(this);
    }

    public void Open() => host.Open();

    public void Dispose() => host.Close();

    public void Process(AttachContext attachContext)
    {
        try
        {
            Attach(attachContext);
        }
        catch (AmqpException ex)
        {
            LogAttachRefused(logger, ex.Error.Condition.ToString(), ex.Error.Description);
            attachContext.Complete(ex.Error);
        }
    }

    private void Attach(AttachContext context)
    {
        var attach = context.Attach;
        var link = context.Link;
        var state = connections.GetValue(link.Session.Connection, _ => new ConnectionState());
        var remoteReceives = attach.Role;
        var address = remoteReceives ? (attach.Source as Source)?.Address : (attach.Target as Target)?.Address;
        var path = Normalize(address);
        attach.MaxMessageSize = (ulong)maxMessageSize;

        if (path == "$cbs")
        {
            AttachRequestResponse(context, state, entity: null);
            return;
        }

        if (path.EndsWith("/$management", StringComparison.Ordinal))
        {
            // The SDK authorizes a management link with a token for "<entity>/$management"; one for the entity covers it too.
            var entity = path[..^"/$management".Length];
            Authorize(state, path);
            if (!broker.TryGetQueue(entity, out _) && !broker.TryGetTarget(entity, out _))
            {
                throw NotFound(entity);
            }

            AttachRequestResponse(context, state, entity);
            return;
        }

        Authorize(state, path);
        if (!remoteReceives)
        {
            if (!broker.TryGetTarget(path, out var target))
            {
                throw broker.TryGetQueue(path, out _)
                    ? new AmqpException(ErrorCode.NotAllowed, $"'{path}' cannot be sent to (send to its queue or topic).")
                    : NotFound(path);
            }

            context.Complete(new SenderEndpoint(this, target), 500);
            return;
        }

        if (!broker.TryGetQueue(path, out var queue))
        {
            throw NotFound(path);
        }

        var source = (Source)attach.Source;
        if (source.FilterSet?.ContainsKey((Symbol)"com.microsoft:session-filter") == true
            || broker.SessionEntities.Contains(path.Replace(DeadLetterSuffix, "", StringComparison.Ordinal)))
        {
            throw new AmqpException(ErrorCode.NotImplemented,
                $"Sessions are not supported by the EcosystemFlows Service Bus emulator ('{path}'); see eng/emulators/servicebus/README.md.");
        }

        var consumer = new ConsumerEndpoint(this, queue, link, attach.SndSettleMode == SenderSettleMode.Settled);
        link.Closed += (_, _) => consumer.OnClosing();
        broker.Post(_ => broker.AddConsumer(queue, consumer));
        context.Complete(consumer, 0);
    }

    private static AmqpException NotFound(string path) =>
        new(ErrorCode.NotFound, $"The messaging entity '{path}' could not be found. To know more visit https://aka.ms/sbResourceMgrExceptions.");

    private void AttachRequestResponse(AttachContext context, ConnectionState state, string? entity)
    {
        if (context.Attach.Role)
        {
            var replyTo = (context.Attach.Target as Target)?.Address ?? "";
            state.ReplyLinks[replyTo] = context.Link;
            context.Complete(new ReplyEndpoint(), 0);
        }
        else
        {
            context.Complete(new RequestEndpoint(this, state, entity), 100);
        }
    }

    private static void Authorize(ConnectionState state, string path)
    {
        if (!state.IsAuthorized(path))
        {
            throw new AmqpException(ErrorCode.UnauthorizedAccess, $"Unauthorized access to '{path}': put a valid SAS token on $cbs first.");
        }
    }

    /// <summary>The entity path of an address: scheme and host dropped, lower case, no leading or trailing slash.</summary>
    internal static string Normalize(string? address)
    {
        if (string.IsNullOrEmpty(address))
        {
            return "";
        }

        if (address.Contains("://", StringComparison.Ordinal) && Uri.TryCreate(address, UriKind.Absolute, out var uri))
        {
            address = Uri.UnescapeDataString(uri.AbsolutePath);
        }

        return address.Trim('/').ToLowerInvariant();
    }

    private void Reply(ConnectionState state, Message request, Message response)
    {
        response.Properties ??= new Properties();
        response.Properties.CorrelationId = request.Properties?.MessageId;
        var replyTo = request.Properties?.ReplyTo ?? "";
        if (state.ReplyLinks.TryGetValue(replyTo, out var link) && !link.IsClosed)
        {
            link.SendMessage(response);
        }
    }

    // ---- $cbs ----

    private void PutToken(ConnectionState state, Message request)
    {
        var properties = request.ApplicationProperties;
        var type = properties?["type"] as string;
        var name = properties?["name"] as string ?? "";
        int status;
        string description;
        if (properties?["operation"] as string != "put-token")
        {
            (status, description) = (400, "only put-token is supported");
        }
        else if (type != "servicebus.windows.net:sastoken")
        {
            (status, description) = (401, $"token type '{type}' is not supported; the emulator accepts SAS tokens only");
        }
        else
        {
            var (resource, error) = sas.Validate(request.Body as string ?? "");
            var audience = Normalize(name);
            var granted = resource is null ? null : Normalize(resource);
            if (error is null && granted is not null && !(granted.Length == 0 || audience == granted || audience.StartsWith(granted + "/", StringComparison.Ordinal)))
            {
                error = $"the token grants '{granted}', not '{audience}'";
            }

            if (error is null)
            {
                state.Grant(audience, DateTime.UtcNow.AddHours(1));
                (status, description) = (202, "Accepted");
            }
            else
            {
                LogTokenRefused(logger, name, error);
                (status, description) = (401, $"InvalidSignature: {error}");
            }
        }

        var response = new Message { ApplicationProperties = new ApplicationProperties() };
        response.ApplicationProperties["status-code"] = status;
        response.ApplicationProperties["status-description"] = description;
        Reply(state, request, response);
    }

    // ---- $management ----

    private void Manage(ConnectionState state, string entity, Message request)
    {
        var operation = request.ApplicationProperties?["operation"] as string ?? "";
        var body = request.Body as Map ?? [];
        void Respond(int status, Map? map, string? condition = null, string? description = null)
        {
            var response = new Message(map ?? []) { ApplicationProperties = new ApplicationProperties() };
            response.ApplicationProperties["statusCode"] = status;
            response.ApplicationProperties["statusDescription"] = description ?? (status < 300 ? "OK" : "Error");
            if (condition is not null)
            {
                response.ApplicationProperties["errorCondition"] = (Symbol)condition;
            }

            Reply(state, request, response);
        }

        broker.TryGetQueue(entity, out var queue);
        broker.TryGetTarget(entity, out var target);
        switch (operation)
        {
            case "com.microsoft:renew-lock" when queue is not null:
                var tokens = (Guid[])body["lock-tokens"];
                broker.Post(turn =>
                {
                    var expirations = new List<DateTime>();
                    foreach (var token in tokens)
                    {
                        if (broker.RenewLock(turn, queue, token) is not { } until)
                        {
                            turn.After.Add(() => Respond(410, null, "com.microsoft:message-lock-lost", "The lock supplied is invalid. Either the lock expired, or the message has already been removed from the queue."));
                            return;
                        }

                        expirations.Add(until);
                    }

                    turn.After.Add(() => Respond(200, new Map { ["expirations"] = expirations.ToArray() }));
                });
                break;

            case "com.microsoft:schedule-message" when target is not null:
                var messages = ((List)body["messages"]).Cast<Map>().Select(m => Codec.Decode((byte[])m["message"])).ToList();
                broker.Post(turn =>
                {
                    var sequences = new List<long>();
                    broker.Enqueue(turn, target, messages, scheduleOnly: true, sequences);
                    turn.After.Add(() => Respond(200, new Map { ["sequence-numbers"] = sequences.ToArray() }));
                });
                break;

            case "com.microsoft:cancel-scheduled-message" when target is not null:
                var cancel = (long[])body["sequence-numbers"];
                broker.Post(turn =>
                {
                    foreach (var seq in cancel)
                    {
                        broker.CancelScheduled(turn, target, seq);
                    }

                    turn.After.Add(() => Respond(200, null));
                });
                break;

            case "com.microsoft:peek-message" when queue is not null:
                var from = Convert.ToInt64(body["from-sequence-number"], System.Globalization.CultureInfo.InvariantCulture);
                var count = Convert.ToInt32(body["message-count"], System.Globalization.CultureInfo.InvariantCulture);
                broker.Post(turn =>
                {
                    var peeked = broker.Peek(queue, from, count);
                    var list = new List();
                    foreach (var m in peeked)
                    {
                        list.Add(new Map { ["message"] = m.Encode().ToArray() });
                    }

                    turn.After.Add(() => Respond(list.Count == 0 ? 204 : 200, list.Count == 0 ? null : new Map { ["messages"] = list }));
                });
                break;

            case "com.microsoft:receive-by-sequence-number" when queue is not null:
                var wanted = (long[])body["sequence-numbers"];
                var peekLock = body["receiver-settle-mode"] is not uint mode || mode != 0;
                broker.Post(turn =>
                {
                    var received = broker.ReceiveDeferred(turn, queue, wanted, peekLock);
                    if (received is null)
                    {
                        turn.After.Add(() => Respond(404, null, "com.microsoft:message-not-found", "One or more of the requested deferred messages were not found."));
                        return;
                    }

                    var list = new List();
                    foreach (var (m, token) in received)
                    {
                        var entry = new Map { ["message"] = m.Encode().ToArray() };
                        if (token != Guid.Empty)
                        {
                            entry["lock-token"] = token;
                        }

                        list.Add(entry);
                    }

                    turn.After.Add(() => Respond(200, new Map { ["messages"] = list }));
                });
                break;

            case "com.microsoft:update-disposition" when queue is not null:
                var lockTokens = (Guid[])body["lock-tokens"];
                var status = body["disposition-status"] as string;
                var disposition = status switch
                {
                    "completed" => Disposition.Complete,
                    "abandoned" => Disposition.Abandon,
                    "defered" or "deferred" => Disposition.Defer,
                    _ => Disposition.DeadLetter,
                };
                var reason = body["deadletter-reason"] as string;
                var description = body["deadletter-description"] as string;
                var modify = ToDictionary(body["properties-to-modify"] as Map);
                broker.Post(turn =>
                {
                    foreach (var token in lockTokens)
                    {
                        if (!broker.Settle(turn, queue, token, owner: null, disposition, reason, description, modify))
                        {
                            turn.After.Add(() => Respond(410, null, "com.microsoft:message-lock-lost", "The lock supplied is invalid. Either the lock expired, or the message has already been removed from the queue."));
                            return;
                        }
                    }

                    turn.After.Add(() => Respond(200, null));
                });
                break;

            default:
                Respond(501, null, "amqp:not-implemented", $"Operation '{operation}' on '{entity}' is not supported by the emulator (rules are defined in Config.json).");
                break;
        }
    }

    private static Dictionary<string, object?>? ToDictionary(Map? map) =>
        map?.Keys.ToDictionary(k => k.ToString()!, k => (object?)map[k]);

    // ---- endpoints ----

    /// <summary>A client's sender: messages (or batches) to a queue or topic, accepted once stored.</summary>
    private sealed class SenderEndpoint(AmqpServer server, SendTarget target) : LinkEndpoint
    {
        public override void OnMessage(MessageContext messageContext)
        {
            var message = messageContext.Message;
            List<Message> messages;
            try
            {
                if (message.Encode().Length > server.maxMessageSize)
                {
                    messageContext.Complete(new Error(ErrorCode.MessageSizeExceeded)
                    {
                        Description = $"The received message exceeds the maximum allowed size of {server.maxMessageSize} bytes.",
                    });
                    return;
                }

                messages = Codec.Unbatch(message);
            }
            catch (AmqpException ex)
            {
                messageContext.Complete(ex.Error);
                return;
            }

            server.broker.Post(turn =>
            {
                server.broker.Enqueue(turn, target, messages, scheduleOnly: false, sequences: null);
                turn.After.Add(messageContext.Complete);
            });
        }

        public override void OnFlow(FlowContext flowContext)
        {
        }

        public override void OnDisposition(DispositionContext dispositionContext)
        {
        }
    }

    /// <summary>A client's receiver on a queue, subscription or dead-letter sub-queue.</summary>
    private sealed class ConsumerEndpoint(AmqpServer server, MessageQueue queue, ListenerLink link, bool receiveAndDelete)
        : LinkEndpoint, IConsumer
    {
        private volatile bool closed;

        // Set by the link's Closed event, which AMQP.Net Lite raises before it reports the closed link's unsettled
        // deliveries as Released: those are not the client's releases.
        private volatile bool linkClosed;

        public bool ReceiveAndDelete { get; } = receiveAndDelete;

        public int Credit { get; set; }

        public bool IsDraining => link.IsDraining;

        public bool IsClosed => closed;

        public void Deliver(Message message, Guid lockToken)
        {
            DeliveryTags.AddOrUpdate(message, (lockToken == Guid.Empty ? Guid.NewGuid() : lockToken).ToByteArray());
            link.SendMessage(message);
        }

        public void CompleteDrain() => link.CompleteDrain();

        public void OnClosing() => linkClosed = true;

        public override void OnFlow(FlowContext flowContext)
        {
            var delta = flowContext.Messages;
            var drain = flowContext.Link.IsDraining;
            server.broker.Post(_ => server.broker.Flow(queue, this, delta, drain));
        }

        public override void OnDisposition(DispositionContext dispositionContext)
        {
            var message = dispositionContext.Message;
            if (ReceiveAndDelete || message.DeliveryTag is not { Length: 16 } tag)
            {
                return;
            }

            var token = new Guid(tag);
            var state = dispositionContext.DeliveryState;
            Disposition disposition;
            string? reason = null;
            string? description = null;
            Dictionary<string, object?>? modify = null;
            DeliveryState reply;
            switch (state)
            {
                case Accepted:
                    disposition = Disposition.Complete;
                    reply = new Accepted();
                    break;
                case Modified modified:
                    disposition = modified.UndeliverableHere ? Disposition.Defer : Disposition.Abandon;
                    modify = modified.MessageAnnotations?.Keys.ToDictionary(k => k.ToString()!, k => (object?)modified.MessageAnnotations[k]);
                    reply = modified;
                    break;
                case Rejected rejected:
                    disposition = Disposition.DeadLetter;
                    var info = rejected.Error?.Info;
                    reason = info?[(Symbol)"DeadLetterReason"] as string;
                    description = info?[(Symbol)"DeadLetterErrorDescription"] as string;
                    modify = info?.Keys.Where(k => k.ToString() is not ("DeadLetterReason" or "DeadLetterErrorDescription"))
                        .ToDictionary(k => k.ToString()!, k => (object?)info[k]);
                    reply = new Rejected();
                    break;
                case Released when !linkClosed:
                    // The client released it (never handed to the application): available again at once, as in Service Bus.
                    disposition = Disposition.Release;
                    reply = new Released();
                    break;
                default:
                    // Released by the listener's own clean-up of a closed link (its unsettled deliveries): the lock stays
                    // until it expires, as in Service Bus, where a lock outlives the link that delivered the message.
                    return;
            }

            server.broker.Post(turn =>
            {
                var settled = server.broker.Settle(turn, queue, token, this, disposition, reason, description, modify);
                turn.After.Add(() => link.DisposeMessage(message, settled ? reply : new Rejected
                {
                    Error = new Error((Symbol)"com.microsoft:message-lock-lost")
                    {
                        Description = "The lock supplied is invalid. Either the lock expired, or the message has already been removed from the queue.",
                    },
                }, true));
            });
        }

        public override void OnLinkClosed(ListenerLink link, Error error)
        {
            closed = true;
            server.broker.Post(_ => server.broker.RemoveConsumer(queue, this));
        }
    }

    /// <summary>The request side of $cbs or an entity's $management node.</summary>
    private sealed class RequestEndpoint(AmqpServer server, ConnectionState state, string? entity) : LinkEndpoint
    {
        public override void OnMessage(MessageContext messageContext)
        {
            try
            {
                if (entity is null)
                {
                    server.PutToken(state, messageContext.Message);
                }
                else
                {
                    server.Manage(state, entity, messageContext.Message);
                }
            }
            catch (Exception ex) when (ex is InvalidCastException or KeyNotFoundException or NullReferenceException or FormatException)
            {
                LogBadRequest(server.logger, entity ?? "$cbs", ex.Message);
                var response = new Message(new Map()) { ApplicationProperties = new ApplicationProperties() };
                response.ApplicationProperties["statusCode"] = 400;
                response.ApplicationProperties["status-code"] = 400;
                response.ApplicationProperties["statusDescription"] = "Malformed request: " + ex.Message;
                response.ApplicationProperties["errorCondition"] = (Symbol)"amqp:invalid-field";
                server.Reply(state, messageContext.Message, response);
            }

            messageContext.Complete();
        }

        public override void OnFlow(FlowContext flowContext)
        {
        }

        public override void OnDisposition(DispositionContext dispositionContext)
        {
        }
    }

    /// <summary>The response side of $cbs or $management (sends replies; credit is not enforced for them).</summary>
    private sealed class ReplyEndpoint : LinkEndpoint
    {
        public override void OnFlow(FlowContext flowContext)
        {
        }

        public override void OnDisposition(DispositionContext dispositionContext)
        {
        }
    }

    private sealed class ConnectionState
    {
        private readonly Lock gate = new();
        private readonly List<(string Path, DateTime Expires)> grants = [];

        public ConcurrentDictionary<string, ListenerLink> ReplyLinks { get; } = new(StringComparer.Ordinal);

        public void Grant(string path, DateTime expires)
        {
            lock (gate)
            {
                grants.Add((path, expires));
            }
        }

        public bool IsAuthorized(string path)
        {
            lock (gate)
            {
                var now = DateTime.UtcNow;
                return grants.Any(g => g.Expires > now
                    && (g.Path.Length == 0 || path == g.Path || path.StartsWith(g.Path + "/", StringComparison.Ordinal)));
            }
        }
    }

    /// <summary>Puts the lock token in the delivery tag, where the SDK reads it.</summary>
    private sealed class TagHandler : IHandler
    {
        public bool CanHandle(global::Amqp.Handler.EventId id) => id == global::Amqp.Handler.EventId.SendDelivery;

        public void Handle(Event protocolEvent)
        {
            if (protocolEvent.Context is IDelivery { Message: { } message } delivery && DeliveryTags.TryGetValue(message, out var tag))
            {
                delivery.Tag = tag;
            }
        }
    }

    /// <summary>The SDK's only SASL mechanism: no credentials on the connection (they come through $cbs).</summary>
    private sealed class CbsSaslProfile() : SaslProfile((Symbol)"MSSBCBS")
    {
        protected override ITransport UpgradeTransport(ITransport transport) => transport;

        protected override DescribedList GetStartCommand(string hostname) => null!;

        protected override DescribedList OnCommand(DescribedList command) => new SaslOutcome { Code = SaslCode.Ok };
    }

    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Attach refused: {Condition} {Description}")]
    private static partial void LogAttachRefused(ILogger logger, string condition, string? description);

    [LoggerMessage(EventId = 201, Level = LogLevel.Warning, Message = "put-token for {Audience} refused: {Reason}")]
    private static partial void LogTokenRefused(ILogger logger, string audience, string reason);

    [LoggerMessage(EventId = 202, Level = LogLevel.Warning, Message = "Malformed request on {Node}: {Reason}")]
    private static partial void LogBadRequest(ILogger logger, string node, string reason);
}
