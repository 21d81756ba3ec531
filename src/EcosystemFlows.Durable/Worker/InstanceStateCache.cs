using EcosystemFlows.Durable.Ports;

namespace EcosystemFlows.Durable.Worker;

/// <summary>
/// The last state (and ETag) this worker committed per instance, so its next episode skips reading it back.
/// Safe because every commit is conditional on the ETag: a stale entry only costs a conflict and a reload.
/// Bounded (least recently used out), so idle instances do not accumulate memory.
/// </summary>
internal sealed class InstanceStateCache(int capacity)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, LinkedListNode<(string Id, CachedInstance Cached)>> _entries = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Id, CachedInstance Cached)> _recency = new();

    public bool TryGet(string instanceId, out CachedInstance? cached)
    {
        lock (_gate)
        {
            if (_entries.TryGetValue(instanceId, out var node))
            {
                _recency.Remove(node);
                _recency.AddFirst(node);
                cached = node.Value.Cached;
                return true;
            }
        }

        cached = null;
        return false;
    }

    /// <summary>Remembers <paramref name="cached"/>, or forgets the instance when it is null.</summary>
    public void Set(string instanceId, CachedInstance? cached)
    {
        lock (_gate)
        {
            if (_entries.Remove(instanceId, out var existing))
            {
                _recency.Remove(existing);
            }

            if (cached is null || capacity == 0)
            {
                return;
            }

            _entries[instanceId] = _recency.AddFirst((instanceId, cached));
            if (_entries.Count > capacity)
            {
                _entries.Remove(_recency.Last!.Value.Id);
                _recency.RemoveLast();
            }
        }
    }

    public void Remove(string instanceId) => Set(instanceId, null);
}

/// <summary>
/// A state this worker committed (its <see cref="InstanceState.Outbox"/> left empty: this worker sends it) and
/// the outbox sends of its recent commits, which may still be in flight.
/// </summary>
internal sealed record CachedInstance(StoredInstance Stored, IReadOnlyList<OutboxSend> Sends)
{
    /// <summary>Messages whose send has not succeeded yet: the next commit carries them, so the document never drops one unsent.</summary>
    public List<OutboxMessage> Unconfirmed => [.. Sends.Where(s => !s.Sent.IsCompletedSuccessfully).SelectMany(s => s.Messages)];

    /// <summary>True when a send failed: the entry is dropped and the document reloaded, which re-sends its outbox.</summary>
    public bool AnySendFailed => Sends.Any(s => s.Sent.IsFaulted || s.Sent.IsCanceled);

    /// <summary>The sends not known to have succeeded (a failed one stays, so the next episode notices it), plus <paramref name="latest"/>.</summary>
    public IReadOnlyList<OutboxSend> Pending(OutboxSend latest) => [.. Sends.Where(s => !s.Sent.IsCompletedSuccessfully), latest];
}

/// <summary>The outbox of one commit and the task sending it.</summary>
internal sealed record OutboxSend(IReadOnlyList<OutboxMessage> Messages, Task Sent);
