using EcosystemFlows.Durable.Ports;

namespace EcosystemFlows.Durable.Diagnostics;

/// <summary>
/// The worker's view of the transport: every send is stamped with the time the message becomes available, and
/// every receive records how long it waited (<see cref="DurableTelemetry.QueueWait"/>). A decorator, so each
/// transport (in-memory, Storage queues) gets the measurement without knowing about it.
/// </summary>
internal sealed class TelemetryDispatcher(IMessageDispatcher inner, TimeProvider timeProvider) : IMessageDispatcher
{
    public TimeSpan? MaximumDelay => inner.MaximumDelay;

    public Task SendAsync(DispatchQueue queue, TaskMessage message, DateTimeOffset? visibleAt, CancellationToken cancellationToken) =>
        inner.SendAsync(queue, DurableTelemetry.Stamp(message, visibleAt, timeProvider), visibleAt, cancellationToken);

    public Task<MessageLease> SendLeasedAsync(DispatchQueue queue, TaskMessage message, TimeSpan visibilityTimeout, CancellationToken cancellationToken) =>
        inner.SendLeasedAsync(queue, DurableTelemetry.Stamp(message, null, timeProvider), visibilityTimeout, cancellationToken);

    public async Task<MessageLease?> ReceiveAsync(DispatchQueue queue, TimeSpan visibilityTimeout, CancellationToken cancellationToken)
    {
        var lease = await inner.ReceiveAsync(queue, visibilityTimeout, cancellationToken).ConfigureAwait(false);
        if (lease is not null)
        {
            DurableTelemetry.Received(lease, timeProvider);
        }

        return lease;
    }

    public Task<bool> RenewAsync(MessageLease lease, TimeSpan visibilityTimeout, CancellationToken cancellationToken) =>
        inner.RenewAsync(lease, visibilityTimeout, cancellationToken);

    public Task CompleteAsync(MessageLease lease, CancellationToken cancellationToken) => inner.CompleteAsync(lease, cancellationToken);

    public Task AbandonAsync(MessageLease lease, CancellationToken cancellationToken) => inner.AbandonAsync(lease, cancellationToken);

    public Task PoisonAsync(MessageLease lease, string reason, CancellationToken cancellationToken) => inner.PoisonAsync(lease, reason, cancellationToken);
}
