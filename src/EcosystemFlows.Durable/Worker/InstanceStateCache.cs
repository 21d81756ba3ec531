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
    private readonly Dictionary<string, LinkedListNode<(string Id, StoredInstance Stored)>> _entries = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Id, StoredInstance Stored)> _recency = new();

    public bool TryGet(string instanceId, out StoredInstance? stored)
    {
        lock (_gate)
        {
            if (_entries.TryGetValue(instanceId, out var node))
            {
                _recency.Remove(node);
                _recency.AddFirst(node);
                stored = node.Value.Stored;
                return true;
            }
        }

        stored = null;
        return false;
    }

    /// <summary>Remembers <paramref name="stored"/>, or forgets the instance when it is null.</summary>
    public void Set(string instanceId, StoredInstance? stored)
    {
        lock (_gate)
        {
            if (_entries.Remove(instanceId, out var existing))
            {
                _recency.Remove(existing);
            }

            if (stored is null || capacity == 0)
            {
                return;
            }

            _entries[instanceId] = _recency.AddFirst((instanceId, stored));
            if (_entries.Count > capacity)
            {
                _entries.Remove(_recency.Last!.Value.Id);
                _recency.RemoveLast();
            }
        }
    }

    public void Remove(string instanceId) => Set(instanceId, null);
}
