using System.Collections.Concurrent;
using EcosystemFlows.Durable.Ports;
using Microsoft.Extensions.Logging;

namespace EcosystemFlows.Durable.Worker;

/// <summary>
/// Keeps the leases of one worker alive (lock renewal, as Durable Task does for its work items): a decorator of the
/// worker's dispatcher, so every lease the worker receives or stores held (<see cref="IMessageDispatcher.SendLeasedAsync"/>)
/// is kept from that moment until it is settled through it, whatever path the message takes in between. While
/// <see cref="RunAsync"/> runs, each kept lease is renewed once it is a third of
/// <see cref="DurableTaskOptions.VisibilityTimeout"/> old; a lease is kept at most
/// <see cref="DurableTaskOptions.MaxLeaseRenewal"/>. When the worker stops, renewal stops with it and the leases
/// expire, so the messages come back to whoever runs then.
/// </summary>
internal sealed class LeaseKeeper(IMessageDispatcher inner, TimeProvider timeProvider, DurableTaskOptions options, ILogger logger) : IMessageDispatcher
{
    private readonly ConcurrentDictionary<string, Kept> _kept = new(StringComparer.Ordinal);

    public TimeSpan? MaximumDelay => inner.MaximumDelay;

    public Task SendAsync(DispatchQueue queue, TaskMessage message, DateTimeOffset? visibleAt, CancellationToken cancellationToken) =>
        inner.SendAsync(queue, message, visibleAt, cancellationToken);

    public async Task<MessageLease> SendLeasedAsync(DispatchQueue queue, TaskMessage message, TimeSpan visibilityTimeout, CancellationToken cancellationToken) =>
        Keep(await inner.SendLeasedAsync(queue, message, visibilityTimeout, cancellationToken).ConfigureAwait(false));

    public async Task<MessageLease?> ReceiveAsync(DispatchQueue queue, TimeSpan visibilityTimeout, CancellationToken cancellationToken) =>
        await inner.ReceiveAsync(queue, visibilityTimeout, cancellationToken).ConfigureAwait(false) is { } lease ? Keep(lease) : null;

    public Task<bool> RenewAsync(MessageLease lease, TimeSpan visibilityTimeout, CancellationToken cancellationToken) =>
        inner.RenewAsync(lease, visibilityTimeout, cancellationToken);

    public Task CompleteAsync(MessageLease lease, CancellationToken cancellationToken) => inner.CompleteAsync(Release(lease), cancellationToken);

    public Task AbandonAsync(MessageLease lease, CancellationToken cancellationToken) => inner.AbandonAsync(Release(lease), cancellationToken);

    public Task PoisonAsync(MessageLease lease, string reason, CancellationToken cancellationToken) => inner.PoisonAsync(Release(lease), reason, cancellationToken);

    /// <summary>
    /// Renews due leases until <paramref name="cancellationToken"/> is cancelled (the worker stops). Checks every sixth of
    /// the visibility timeout, so a lease is renewed at half its timeout at the latest, leaving the other half for a
    /// slow renewal or a retry after a failed one.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(options.VisibilityTimeout / 6, timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                await RenewDueAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: the leases still held expire and their messages come back.
        }
    }

    private MessageLease Keep(MessageLease lease)
    {
        var now = timeProvider.GetUtcNow();
        _kept[lease.LeaseId] = new Kept(lease, now);
        return lease;
    }

    private MessageLease Release(MessageLease lease)
    {
        _kept.TryRemove(lease.LeaseId, out _);
        return lease;
    }

    private async Task RenewDueAsync(CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var due = _kept.Values.Where(k => now - k.RenewedAt >= options.VisibilityTimeout / 3).ToList();
        var parallelism = new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(due, parallelism, async (kept, ct) =>
        {
            var message = kept.Lease.Message;
            if (now - kept.HeldSince >= options.MaxLeaseRenewal)
            {
                if (_kept.TryRemove(new KeyValuePair<string, Kept>(kept.Lease.LeaseId, kept)))
                {
                    Log.LeaseRenewalCapped(logger, message.Id, message.InstanceId, now - kept.HeldSince);
                }

                return;
            }

            try
            {
                if (await inner.RenewAsync(kept.Lease, options.VisibilityTimeout, ct).ConfigureAwait(false))
                {
                    kept.RenewedAt = now;
                }
                else if (_kept.TryRemove(new KeyValuePair<string, Kept>(kept.Lease.LeaseId, kept)))
                {
                    // Not settled meanwhile, so really lost: its work is redone wherever the message went.
                    Log.LeaseLost(logger, message.Id, message.InstanceId);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // Stopping.
            }
#pragma warning disable CA1031 // A failed renewal (transport hiccup) is retried at the next tick; the lease has time left.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.LeaseRenewalFailed(logger, ex, message.Id, message.InstanceId);
            }
        }).ConfigureAwait(false);
    }

    /// <summary>A kept lease: since when it is held and when it was last received, stored or renewed.</summary>
    private sealed class Kept(MessageLease lease, DateTimeOffset heldSince)
    {
        private long _renewedAtTicks = heldSince.UtcTicks;

        public MessageLease Lease { get; } = lease;

        public DateTimeOffset HeldSince { get; } = heldSince;

        public DateTimeOffset RenewedAt
        {
            get => new(Interlocked.Read(ref _renewedAtTicks), TimeSpan.Zero);
            set => Interlocked.Exchange(ref _renewedAtTicks, value.UtcTicks);
        }
    }
}
