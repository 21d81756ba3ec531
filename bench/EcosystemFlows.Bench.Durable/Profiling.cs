using System.Collections.Concurrent;
using System.Diagnostics;
using EcosystemFlows.Durable.Ports;

namespace EcosystemFlows.Bench.Durable;

/// <summary>Time spent per port operation (count, total, mean): the benchmark's profile of where an episode's time goes.</summary>
public sealed class PortProfile
{
    private readonly ConcurrentDictionary<string, (long Count, long Ticks)> _totals = new();

    public async Task<T> TimeAsync<T>(string operation, Func<Task<T>> call)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            return await call();
        }
        finally
        {
            var elapsed = Stopwatch.GetTimestamp() - started;
            _totals.AddOrUpdate(operation, (1, elapsed), (_, t) => (t.Count + 1, t.Ticks + elapsed));
        }
    }

    public async Task TimeAsync(string operation, Func<Task> call) => await TimeAsync(operation, async () =>
    {
        await call();
        return true;
    });

    public void Reset() => _totals.Clear();

    /// <summary>One line per operation; <paramref name="steps"/> (activities, events) gives the calls per step.</summary>
    public string Report(int steps) => string.Join(
        "\n",
        _totals.OrderByDescending(t => t.Value.Ticks).Select(t =>
            $"  {t.Key,-22} {t.Value.Count,7} calls {(double)t.Value.Count / steps,6:F2}/step {t.Value.Ticks * 1000.0 / Stopwatch.Frequency,10:F0} ms total {t.Value.Ticks * 1000.0 / Stopwatch.Frequency / t.Value.Count,8:F2} ms mean"));
}

internal sealed class ProfiledStore(IInstanceStore inner, PortProfile profile) : IInstanceStore
{
    public Task<StoredInstance?> GetAsync(string instanceId, CancellationToken cancellationToken) =>
        profile.TimeAsync("store.get", () => inner.GetAsync(instanceId, cancellationToken));

    public Task<string?> TryCreateAsync(InstanceState state, CancellationToken cancellationToken) =>
        profile.TimeAsync("store.create", () => inner.TryCreateAsync(state, cancellationToken));

    public Task<string?> TryReplaceAsync(InstanceState state, string etag, CancellationToken cancellationToken) =>
        profile.TimeAsync("store.replace", () => inner.TryReplaceAsync(state, etag, cancellationToken));

    public Task<bool> DeleteAsync(string instanceId, CancellationToken cancellationToken) => inner.DeleteAsync(instanceId, cancellationToken);

    public Task<InstanceQueryPage> QueryAsync(InstanceQuery query, CancellationToken cancellationToken) => inner.QueryAsync(query, cancellationToken);
}

internal sealed class ProfiledDispatcher(IMessageDispatcher inner, PortProfile profile) : IMessageDispatcher
{
    public TimeSpan? MaximumDelay => inner.MaximumDelay;

    public Task SendAsync(DispatchQueue queue, TaskMessage message, DateTimeOffset? visibleAt, CancellationToken cancellationToken) =>
        profile.TimeAsync($"send.{queue}", () => inner.SendAsync(queue, message, visibleAt, cancellationToken));

    public Task<MessageLease> SendLeasedAsync(DispatchQueue queue, TaskMessage message, TimeSpan visibilityTimeout, CancellationToken cancellationToken) =>
        profile.TimeAsync($"send-leased.{queue}", () => inner.SendLeasedAsync(queue, message, visibilityTimeout, cancellationToken));

    public Task<MessageLease?> ReceiveAsync(DispatchQueue queue, TimeSpan visibilityTimeout, CancellationToken cancellationToken) =>
        inner.ReceiveAsync(queue, visibilityTimeout, cancellationToken);

    public Task<bool> RenewAsync(MessageLease lease, TimeSpan visibilityTimeout, CancellationToken cancellationToken) =>
        profile.TimeAsync($"renew.{lease.Queue}", () => inner.RenewAsync(lease, visibilityTimeout, cancellationToken));

    public Task CompleteAsync(MessageLease lease, CancellationToken cancellationToken) =>
        profile.TimeAsync($"complete.{lease.Queue}", () => inner.CompleteAsync(lease, cancellationToken));

    public Task AbandonAsync(MessageLease lease, CancellationToken cancellationToken) => inner.AbandonAsync(lease, cancellationToken);

    public Task PoisonAsync(MessageLease lease, string reason, CancellationToken cancellationToken) => inner.PoisonAsync(lease, reason, cancellationToken);
}
