using System.Diagnostics;
using System.Threading.Channels;
using Amqp;
using Amqp.Framing;

namespace EcosystemFlows.Azure.ServiceBus;

/// <summary>
/// Receives from one entity in peek-lock mode and hands each message to a handler with bounded
/// concurrency: completed on success, dead-lettered at once for a <see cref="DeadLetterMessageException"/>
/// or an oversized body, abandoned (retried) on any other failure until the max delivery count, then
/// dead-lettered. The link is re-attached by itself after a connection loss. Stopping settles what is
/// being handled and releases what is only prefetched.
/// </summary>
public sealed class ServiceBusProcessor : IAsyncDisposable
{
    private readonly ServiceBusConnection _connection;
    private readonly ServiceBusEntity _entity;
    private readonly Func<ServiceBusReceivedMessage, CancellationToken, Task> _handler;
    private readonly ServiceBusOptions _options;
    private readonly Channel<Delivery> _deliveries = Channel.CreateUnbounded<Delivery>(new UnboundedChannelOptions { SingleWriter = false });
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _hardStop = new();
    private Task _receiveLoop = Task.CompletedTask;
    private Task[] _workers = [];
    private volatile bool _draining;
    private volatile ReceiverLink? _link;
    private volatile Session? _session;
    private int _started;

    /// <summary>Creates a processor for <paramref name="entity"/>; limits come from the connection's options.</summary>
    public ServiceBusProcessor(
        ServiceBusConnection connection,
        ServiceBusEntity entity,
        Func<ServiceBusReceivedMessage, CancellationToken, Task> handler)
    {
        _connection = connection;
        _entity = entity;
        _handler = handler;
        _options = connection.Options;
    }

    /// <summary>The entity this processor receives from.</summary>
    public ServiceBusEntity Entity => _entity;

    /// <summary>Starts receiving; returns at once (the link attaches, and re-attaches, in the background).</summary>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _started, 1) == 1)
        {
            throw new InvalidOperationException($"The processor for {_entity} is already started.");
        }

        _receiveLoop = Task.Run(ReceiveLoopAsync, CancellationToken.None);
        _workers = [.. Enumerable.Range(0, _options.MaxConcurrentCalls).Select(_ => Task.Run(WorkAsync, CancellationToken.None))];
        return Task.CompletedTask;
    }

    /// <summary>
    /// Stops: no new deliveries are taken, prefetched ones are released, handlers in flight finish and
    /// settle (cancelled after <see cref="ServiceBusOptions.ShutdownTimeout"/>, their messages then left
    /// to the broker to redeliver), then the link closes.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_started == 0 || _draining)
        {
            return;
        }

        // No more credit is granted from here on. (Not a zero-credit flow: RabbitMQ would still send what
        // is in flight, and AMQPNetLite answers an overrun by closing the connection.) What the remaining
        // credit brings is released at once.
        _draining = true;
        await _stopping.CancelAsync().ConfigureAwait(false);
        _deliveries.Writer.TryComplete();
        var workers = Task.WhenAll(_workers);
        try
        {
            await workers.WaitAsync(_options.ShutdownTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            await _hardStop.CancelAsync().ConfigureAwait(false);
            await workers.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        await _receiveLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await CloseQuietlyAsync(_link, _session).ConfigureAwait(false);
        ServiceBusLog.ProcessorStopped(_connection.Logger, _entity.ToString());
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stopping.Dispose();
        _hardStop.Dispose();
    }

    private async Task ReceiveLoopAsync()
    {
        var address = _connection.Dialect.ReceiveAddress(_entity);
        var delay = TimeSpan.FromMilliseconds(200);
        while (!_stopping.IsCancellationRequested)
        {
            var attachedAt = _connection.Time.GetTimestamp();
            try
            {
                var scope = await _connection.GetScopeAsync(_stopping.Token).ConfigureAwait(false);
                await _connection.AuthorizeAsync(scope, address, _stopping.Token).ConfigureAwait(false);
                var lost = new TaskCompletionSource<Error?>(TaskCreationOptions.RunContinuationsAsynchronously);
                var session = scope.CreateSession();
                session.AddClosedCallback((_, error) => lost.TrySetResult(error));
                // Peek-lock: the broker sends unsettled and the lock holds until this side settles.
                var attach = new Attach
                {
                    Source = new Source { Address = address },
                    Target = new Target(),
                    SndSettleMode = SenderSettleMode.Unsettled,
                    RcvSettleMode = ReceiverSettleMode.First,
                };
                var link = new ReceiverLink(session, $"{_entity}-{Guid.NewGuid():N}", attach, null);
                link.AddClosedCallback((_, error) => lost.TrySetResult(error));
                scope.Connection.AddClosedCallback((_, error) => lost.TrySetResult(error));
                _session = session;
                _link = link;
                var gate = new CreditGate(link, _options.PrefetchCount, () => _draining);
                link.Start(0, (receiver, message) => OnMessage(gate, message));
                gate.Open();
                ServiceBusLog.ReceiverAttached(_connection.Logger, _entity.ToString(), _options.PrefetchCount, _options.MaxConcurrentCalls);
                var error = await lost.Task.WaitAsync(_stopping.Token).ConfigureAwait(false);
                ServiceBusLog.ReceiverLost(_connection.Logger, _entity.ToString(), error?.ToString() ?? "closed");
                await CloseQuietlyAsync(link, session).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                ServiceBusLog.AttachFailed(_connection.Logger, ex, _entity.ToString());
            }

            // A link that lived a while earns a quick re-attach; repeated failures back off.
            delay = _connection.Time.GetElapsedTime(attachedAt) > TimeSpan.FromSeconds(10)
                ? TimeSpan.FromMilliseconds(200)
                : TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxReconnectDelay.Ticks));
            try
            {
                await Task.Delay(delay, _connection.Time, _stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void OnMessage(CreditGate gate, Message message)
    {
        // Runs on AMQPNetLite's I/O thread: hand over, never block.
        gate.Arrived();
        if (!_deliveries.Writer.TryWrite(new Delivery(gate, message)))
        {
            TrySettle(gate.Link, message, static (l, m) => l.Release(m));
            gate.Settled();
        }
    }

    private async Task WorkAsync()
    {
        await foreach (var delivery in _deliveries.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
        {
            if (_draining || delivery.Link.IsClosed)
            {
                // Prefetched but not started: give it back uncounted (on a closed link the broker already has).
                TrySettle(delivery.Link, delivery.Message, static (l, m) => l.Release(m));
            }
            else
            {
                await ProcessAsync(delivery).ConfigureAwait(false);
            }

            delivery.Gate.Settled();
        }
    }

    private async Task ProcessAsync(Delivery delivery)
    {
        var link = delivery.Link;
        var message = delivery.Message;
        var dialect = _connection.Dialect;
        var messageId = message.Properties?.MessageId;
        using var activity = ServiceBusSender.ActivitySource.StartActivity(
            $"process {_entity}", ActivityKind.Consumer, AmqpMessageMapper.ParentId(message));
        activity?.SetTag("messaging.system", "servicebus");
        activity?.SetTag("messaging.message.id", messageId);

        var size = AmqpMessageMapper.Body(message).Length;
        if (size > _options.MaxMessageBytes)
        {
            await DeadLetterAsync(link, message, DeadLetterMessageException.Reasons.MessageTooLarge,
                $"the body has {size} bytes; at most {_options.MaxMessageBytes} are accepted").ConfigureAwait(false);
            return;
        }

        var received = AmqpMessageMapper.FromAmqp(message, _entity, dialect);
        try
        {
            await _handler(received, _hardStop.Token).ConfigureAwait(false);
            if (_options.DuplicateDelivery)
            {
                // The test switch: the redelivery a lost settlement would cause, handled like any delivery.
                await _handler(received with { DeliveryCount = received.DeliveryCount + 1 }, _hardStop.Token).ConfigureAwait(false);
            }
        }
        catch (DeadLetterMessageException ex)
        {
            await DeadLetterAsync(link, message, ex.Reason, ex.Description).ConfigureAwait(false);
            return;
        }
        catch (OperationCanceledException) when (_hardStop.IsCancellationRequested)
        {
            TrySettle(link, message, static (l, m) => l.Release(m));
            return;
        }
        catch (Exception ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            if (received.DeliveryCount >= _options.MaxDeliveryCount)
            {
                await DeadLetterAsync(link, message, DeadLetterMessageException.Reasons.MaxDeliveryCountExceeded,
                    $"delivery {received.DeliveryCount} of {_options.MaxDeliveryCount} failed: {ex.GetType().Name}: {ex.Message}").ConfigureAwait(false);
                return;
            }

            ServiceBusLog.HandlerFailed(_connection.Logger, ex, _entity.ToString(), messageId, received.DeliveryCount, _options.MaxDeliveryCount);
            try
            {
                await Task.Delay(RetryDelay(received.DeliveryCount), _hardStop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopping: abandoned at once, for whoever receives next.
            }

            await SettleAsync(link, message, () => dialect.AbandonAsync(link, message, _entity, _connection, _hardStop.Token)).ConfigureAwait(false);
            return;
        }

        TrySettle(link, message, static (l, m) => l.Accept(m));
    }

    /// <summary>How long a failed delivery waits before it is abandoned: <see cref="ServiceBusOptions.RetryDelay"/> doubled per delivery, at most 30 s.</summary>
    private TimeSpan RetryDelay(int deliveryCount) =>
        TimeSpan.FromTicks(Math.Min(_options.RetryDelay.Ticks << Math.Clamp(deliveryCount - 1, 0, 16), TimeSpan.FromSeconds(30).Ticks));

    private Task DeadLetterAsync(ReceiverLink link, Message message, string reason, string description)
    {
        ServiceBusLog.DeadLettered(_connection.Logger, _entity.ToString(), message.Properties?.MessageId, reason, description);
        return SettleAsync(link, message, () => _connection.Dialect.DeadLetterAsync(link, message, _entity, reason, description, _connection, _hardStop.Token));
    }

    private async Task SettleAsync(ReceiverLink link, Message message, Func<Task> settle)
    {
        if (link.IsClosed)
        {
            // The lock went with the link: the broker redelivers the message; settling now would fail.
            return;
        }

        try
        {
            await settle().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            ServiceBusLog.SettleFailed(_connection.Logger, ex, _entity.ToString(), message.Properties?.MessageId);
        }
    }

    private void TrySettle(ReceiverLink link, Message message, Action<ReceiverLink, Message> settle)
    {
        if (link.IsClosed)
        {
            return;
        }

        try
        {
            settle(link, message);
        }
        catch (Exception ex) when (ex is AmqpException or ObjectDisposedException or InvalidOperationException)
        {
            ServiceBusLog.SettleFailed(_connection.Logger, ex, _entity.ToString(), message.Properties?.MessageId);
        }
    }

    private static async Task CloseQuietlyAsync(ReceiverLink? link, Session? session)
    {
        foreach (AmqpObject? item in new AmqpObject?[] { link, session })
        {
            if (item is null || item.IsClosed)
            {
                continue;
            }

            try
            {
                await item.CloseAsync().WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is AmqpException or TimeoutException or ObjectDisposedException or InvalidOperationException)
            {
                // Already gone with the connection.
            }
        }
    }

    private readonly record struct Delivery(CreditGate Gate, Message Message)
    {
        public ReceiverLink Link => Gate.Link;
    }

    /// <summary>
    /// Link credit, managed by hand. RabbitMQ 3.10 ignores the delivery-count in a flow frame, so a credit
    /// top-up sent while deliveries are in flight lets it overrun the credit, and AMQPNetLite then closes
    /// the whole connection (transfer-limit-exceeded). So credit is only ever re-issued once the broker has
    /// used all of it (nothing can be in flight then), and only while at most half the prefetch is
    /// unsettled, which also bounds the messages held in memory to <see cref="ServiceBusOptions.PrefetchCount"/>.
    /// Service Bus would accept rolling top-ups; batches cost it nothing measurable.
    /// </summary>
    private sealed class CreditGate(ReceiverLink link, int prefetch, Func<bool> draining)
    {
        private readonly Lock _lock = new();
        private int _outstanding;
        private int _unsettled;

        public ReceiverLink Link => link;

        public void Open() => Issue(Grant());

        public void Arrived()
        {
            lock (_lock)
            {
                _outstanding--;
                _unsettled++;
            }
        }

        public void Settled()
        {
            lock (_lock)
            {
                _unsettled--;
            }

            Issue(Grant());
        }

        /// <summary>Decides a grant under the lock; at most one can be outstanding, so issuing it later is safe.</summary>
        private int Grant()
        {
            lock (_lock)
            {
                if (_outstanding > 0 || _unsettled > prefetch / 2 || draining() || link.IsClosed)
                {
                    return 0;
                }

                _outstanding = prefetch - _unsettled;
                return _outstanding;
            }
        }

        /// <summary>Sends the flow outside the lock: AMQPNetLite takes its own link lock to send it.</summary>
        private void Issue(int credit)
        {
            if (credit == 0)
            {
                return;
            }

            try
            {
                link.SetCredit(credit, CreditMode.Manual);
            }
            catch (Exception ex) when (ex is AmqpException or ObjectDisposedException or InvalidOperationException)
            {
                // The link is closing; the receive loop re-attaches with a fresh gate.
            }
        }
    }
}
