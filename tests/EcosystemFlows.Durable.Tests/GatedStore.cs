using EcosystemFlows.Durable.Ports;

namespace EcosystemFlows.Durable.Tests;

/// <summary>Delays, holds or fails replaces of the in-memory store, and counts them.</summary>
internal sealed class GatedStore
{
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _replaces;
    private int _holding;

    public TimeSpan Delay { get; init; }

    /// <summary>The replace (1-based) that throws once, as a store that cannot be reached.</summary>
    public int FailAtReplace { get; init; }

    /// <summary>Replaces (1-based) that find the document just rewritten by someone else.</summary>
    public IReadOnlyList<int> ConflictAt { get; init; } = [];

    public Func<InstanceState, bool>? HoldWhen { get; set; }

    public int Replaces => Volatile.Read(ref _replaces);

    public bool Holding => Volatile.Read(ref _holding) > 0;

    public bool Failed { get; private set; }

    public void Release() => _released.TrySetResult();

    public IInstanceStore Wrap(IInstanceStore inner) => new Store(inner, this);

    private sealed class Store(IInstanceStore inner, GatedStore gate) : IInstanceStore
    {
        public Task<StoredInstance?> GetAsync(string instanceId, CancellationToken cancellationToken) => inner.GetAsync(instanceId, cancellationToken);

        public Task<string?> TryCreateAsync(InstanceState state, CancellationToken cancellationToken) => inner.TryCreateAsync(state, cancellationToken);

        public async Task<string?> TryReplaceAsync(InstanceState state, string etag, CancellationToken cancellationToken)
        {
            var number = Interlocked.Increment(ref gate._replaces);
            if (gate.HoldWhen?.Invoke(state) == true)
            {
                Interlocked.Increment(ref gate._holding);
                await gate._released.Task.WaitAsync(cancellationToken);
            }

            await Task.Delay(gate.Delay, cancellationToken);
            if (gate.ConflictAt.Contains(number) && await inner.GetAsync(state.InstanceId, cancellationToken) is { } current)
            {
                await inner.TryReplaceAsync(current.State, current.ETag, cancellationToken);
            }

            if (number == gate.FailAtReplace)
            {
                gate.Failed = true;
                throw new IOException("The store cannot be reached (injected).");
            }

            return await inner.TryReplaceAsync(state, etag, cancellationToken);
        }

        public Task<bool> DeleteAsync(string instanceId, CancellationToken cancellationToken) => inner.DeleteAsync(instanceId, cancellationToken);

        public Task<InstanceQueryPage> QueryAsync(InstanceQuery query, CancellationToken cancellationToken) => inner.QueryAsync(query, cancellationToken);
    }
}
