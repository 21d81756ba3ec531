using System.Globalization;
using System.Text.Json;
using EcosystemFlows.Durable.History;
using EcosystemFlows.Durable.Ports;

namespace EcosystemFlows.Durable.InMemory;

/// <summary>
/// In-memory <see cref="IInstanceStore"/>. Documents are kept as JSON (as Cosmos DB would), so every read
/// returns a private copy and anything that does not round-trip through JSON fails here first.
/// </summary>
public sealed class InMemoryInstanceStore : IInstanceStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Document> _documents = new(StringComparer.Ordinal);
    private long _version;
    private int _conflictsToInject;
    private int _conflictCount;
    private int _largestDocument;

    /// <summary>Number of conditional writes rejected (real or injected).</summary>
    public int ConflictCount => Volatile.Read(ref _conflictCount);

    /// <summary>Size in characters of the largest document written so far.</summary>
    public int LargestDocumentSize => Volatile.Read(ref _largestDocument);

    /// <summary>Makes the next <paramref name="count"/> replaces fail with an ETag conflict.</summary>
    public void InjectConflicts(int count) => Interlocked.Exchange(ref _conflictsToInject, count);

    /// <inheritdoc />
    public Task<StoredInstance?> GetAsync(string instanceId, CancellationToken cancellationToken)
    {
        Document? document;
        lock (_gate)
        {
            _documents.TryGetValue(instanceId, out document);
        }

        return Task.FromResult(document is null ? null : new StoredInstance(Read(document.Json), document.ETag));
    }

    /// <inheritdoc />
    public Task<string?> TryCreateAsync(InstanceState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var json = Write(state);
        lock (_gate)
        {
            if (_documents.ContainsKey(state.InstanceId))
            {
                return Task.FromResult<string?>(null);
            }

            var document = new Document(json, NextETag());
            _documents[state.InstanceId] = document;
            return Task.FromResult<string?>(document.ETag);
        }
    }

    /// <inheritdoc />
    public Task<string?> TryReplaceAsync(InstanceState state, string etag, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var json = Write(state);
        lock (_gate)
        {
            var injected = _conflictsToInject > 0 && _conflictsToInject-- > 0;
            if (injected || !_documents.TryGetValue(state.InstanceId, out var current) || current.ETag != etag)
            {
                _conflictCount++;
                return Task.FromResult<string?>(null);
            }

            var document = new Document(json, NextETag());
            _documents[state.InstanceId] = document;
            return Task.FromResult<string?>(document.ETag);
        }
    }

    /// <inheritdoc />
    public Task<bool> DeleteAsync(string instanceId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_documents.Remove(instanceId));
        }
    }

    /// <inheritdoc />
    public Task<InstanceQueryPage> QueryAsync(InstanceQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        List<string> snapshot;
        lock (_gate)
        {
            snapshot = [.. _documents.Values.Select(d => d.Json)];
        }

        // The continuation token is the sort key of the last returned item, so inserts between pages
        // neither repeat nor skip items (unlike an offset).
        var after = ParseToken(query.ContinuationToken);
        var matches = snapshot.Select(Read)
            .Where(s => query.Statuses is null || query.Statuses.Contains(s.Status))
            .Where(s => query.Names is null || query.Names.Contains(s.Name, StringComparer.OrdinalIgnoreCase))
            .Where(s => query.CreatedFrom is null || s.CreatedTime >= query.CreatedFrom)
            .Where(s => query.CreatedTo is null || s.CreatedTime <= query.CreatedTo)
            .Where(s => query.InstanceIdPrefix is null || s.InstanceId.StartsWith(query.InstanceIdPrefix, StringComparison.Ordinal))
            .Where(s => after is null || Compare(s, after.Value) > 0)
            .OrderBy(s => s.CreatedTime.Ticks).ThenBy(s => s.InstanceId, StringComparer.Ordinal)
            .Take(query.PageSize + 1)
            .ToList();
        var hasMore = matches.Count > query.PageSize;
        var page = matches.Take(query.PageSize).Select(s => s.WithoutBulk()).ToList();
        var token = hasMore ? $"{page[^1].CreatedTime.Ticks.ToString(CultureInfo.InvariantCulture)}|{page[^1].InstanceId}" : null;
        return Task.FromResult(new InstanceQueryPage(page, token));
    }

    private static int Compare(InstanceState state, (long Ticks, string Id) key)
    {
        var byTime = state.CreatedTime.Ticks.CompareTo(key.Ticks);
        return byTime != 0 ? byTime : string.CompareOrdinal(state.InstanceId, key.Id);
    }

    private static (long Ticks, string Id)? ParseToken(string? token)
    {
        if (token is null)
        {
            return null;
        }

        var separator = token.IndexOf('|', StringComparison.Ordinal);
        if (separator < 0 || !long.TryParse(token.AsSpan(0, separator), NumberStyles.None, CultureInfo.InvariantCulture, out var ticks))
        {
            throw new ArgumentException("Invalid continuation token.", nameof(token));
        }

        return (ticks, token[(separator + 1)..]);
    }

    private string NextETag() => (++_version).ToString(CultureInfo.InvariantCulture);

    private string Write(InstanceState state)
    {
        var json = JsonSerializer.Serialize(state, DurableJson.Options);
        InterlockedMax(ref _largestDocument, json.Length);
        return json;
    }

    private static InstanceState Read(string json) =>
        JsonSerializer.Deserialize<InstanceState>(json, DurableJson.Options) ?? throw new InvalidOperationException("Corrupt instance document.");

    private static void InterlockedMax(ref int location, int value)
    {
        int current;
        while ((current = Volatile.Read(ref location)) < value && Interlocked.CompareExchange(ref location, value, current) != current)
        {
        }
    }

    private sealed record Document(string Json, string ETag);
}
