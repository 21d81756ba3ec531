using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using EcosystemFlows.Durable.History;
using EcosystemFlows.Durable.Ports;
using global::Azure;
using global::Azure.Storage.Blobs.Models;
using Microsoft.Azure.Cosmos;

namespace EcosystemFlows.Azure.Durable;

/// <summary>
/// <see cref="IInstanceStore"/> on a Cosmos DB container: one document per instance, <c>id</c> = partition key
/// = instance id, the <see cref="InstanceState"/> JSON (<see cref="DurableJson.Options"/>) plus <c>sortKey</c>
/// (creation ticks and id, for stable paging) and <c>nameKey</c> (lowercase name, for case-insensitive filters).
/// The ETag-guarded replace is the only commit point. A document larger than
/// <see cref="DurableStorageOptions.MaxInlineDocumentBytes"/> keeps only its status fields; the full state
/// goes to a blob with a fresh name, written <em>before</em> the replace that references it, so a crash can
/// leave an orphan blob but never a document pointing at nothing.
/// </summary>
public sealed class CosmosInstanceStore : IInstanceStore
{
    private const string PayloadBlobProperty = "payloadBlob";
    private const int MaxRememberedBlobs = 10_000;
    private readonly TaskHubResources _hub;

    // Blob of an offloaded document by the ETag it was read or written with, so the commit that
    // supersedes it can delete it; only large instances have entries, and the map is bounded.
    private readonly ConcurrentDictionary<string, string> _blobByETag = new(StringComparer.Ordinal);

    /// <summary>Creates the store over the task hub's resources.</summary>
    public CosmosInstanceStore(TaskHubResources hub)
    {
        _hub = hub;
    }

    /// <inheritdoc />
    public async Task<StoredInstance?> GetAsync(string instanceId, CancellationToken cancellationToken)
    {
        // A newer commit may delete the blob between reading the document and the blob: read again then.
        for (var attempt = 0; ; attempt++)
        {
            if (await ReadDocumentAsync(instanceId, cancellationToken).ConfigureAwait(false) is not var (document, etag))
            {
                return null;
            }

            if (PayloadBlobOf(document) is not { } blobName)
            {
                return new StoredInstance(Deserialize(document, DurableJson.Options), etag);
            }

            try
            {
                var blob = await _hub.Payloads.GetBlobClient(blobName).DownloadContentAsync(cancellationToken).ConfigureAwait(false);
                Remember(etag, blobName);
                return new StoredInstance(Deserialize(blob.Value.Content.ToMemory(), DurableJson.Options), etag);
            }
            catch (RequestFailedException ex) when (ex.Status == 404 && attempt < 5)
            {
            }
        }
    }

    /// <inheritdoc />
    public async Task<InstanceState?> GetStatusAsync(string instanceId, CancellationToken cancellationToken)
    {
        if (await ReadDocumentAsync(instanceId, cancellationToken).ConfigureAwait(false) is not var (document, _))
        {
            return null;
        }

        // An offloaded document may have dropped its input, output and custom status too: those come from the blob.
        return PayloadBlobOf(document) is null
            ? Deserialize(document, DurableJson.StatusOptions).WithoutBulk()
            : (await GetAsync(instanceId, cancellationToken).ConfigureAwait(false))?.State.WithoutBulk();
    }

    /// <inheritdoc />
    public async Task<string?> TryCreateAsync(InstanceState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        await _hub.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var (document, blobName) = await ToDocumentAsync(state, cancellationToken).ConfigureAwait(false);
        using var response = await _hub.Instances.CreateItemStreamAsync(document, new PartitionKey(state.InstanceId), cancellationToken: cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.Conflict)
        {
            await _hub.DeletePayloadAsync(blobName).ConfigureAwait(false);
            return null;
        }

        EnsureSuccess(response, "create", state.InstanceId);
        Remember(response.Headers.ETag, blobName);
        return response.Headers.ETag;
    }

    /// <inheritdoc />
    public async Task<string?> TryReplaceAsync(InstanceState state, string etag, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        await _hub.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var (document, blobName) = await ToDocumentAsync(state, cancellationToken).ConfigureAwait(false);
        using var response = await _hub.Instances.ReplaceItemStreamAsync(
            document, state.InstanceId, new PartitionKey(state.InstanceId), new ItemRequestOptions { IfMatchEtag = etag }, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.NotFound)
        {
            await _hub.DeletePayloadAsync(blobName).ConfigureAwait(false);
            return null;
        }

        EnsureSuccess(response, "replace", state.InstanceId);
        if (_blobByETag.TryRemove(etag, out var previous) && previous != blobName)
        {
            await _hub.DeletePayloadAsync(previous).ConfigureAwait(false);
        }

        Remember(response.Headers.ETag, blobName);
        return response.Headers.ETag;
    }

    /// <inheritdoc />
    public async Task<bool> DeleteAsync(string instanceId, CancellationToken cancellationToken)
    {
        await _hub.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        using var response = await _hub.Instances.DeleteItemStreamAsync(instanceId, new PartitionKey(instanceId), cancellationToken: cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        EnsureSuccess(response, "delete", instanceId);

        // Offloaded states of this instance live under its own prefix; purge removes them with the document.
        await foreach (var blob in _hub.Payloads.GetBlobsAsync(BlobTraits.None, BlobStates.None, InstancePrefix(instanceId), cancellationToken).ConfigureAwait(false))
        {
            await _hub.DeletePayloadAsync(blob.Name).ConfigureAwait(false);
        }

        return true;
    }

    /// <inheritdoc />
    public async Task<InstanceQueryPage> QueryAsync(InstanceQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        await _hub.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);

        // Keyset paging on sortKey (creation ticks, then id): instances created between pages are neither
        // repeated nor skipped, and it needs no OFFSET/LIMIT (unsupported by the local stand-in).
        var conditions = new List<string>();
        var parameters = new List<(string Name, object Value)>();
        if (query.Statuses is { } statuses)
        {
            conditions.Add("ARRAY_CONTAINS(@statuses, c.status)");
            parameters.Add(("@statuses", statuses.Select(s => s.ToString()).ToArray()));
        }

        if (query.Names is { } names)
        {
            conditions.Add("ARRAY_CONTAINS(@names, c.nameKey)");
            parameters.Add(("@names", names.Select(n => n.ToLowerInvariant()).ToArray()));
        }

        if (query.CreatedFrom is { } from)
        {
            conditions.Add("c.sortKey >= @from");
            parameters.Add(("@from", Ticks(from)));
        }

        if (query.CreatedTo is { } to)
        {
            conditions.Add("c.sortKey < @to");
            parameters.Add(("@to", Ticks(to.AddTicks(1))));
        }

        if (query.InstanceIdPrefix is { } prefix)
        {
            conditions.Add("STARTSWITH(c.id, @prefix)");
            parameters.Add(("@prefix", prefix));
        }

        if (query.ContinuationToken is { } token)
        {
            conditions.Add("c.sortKey > @after");
            parameters.Add(("@after", token));
        }

        var where = conditions.Count == 0 ? string.Empty : " WHERE " + string.Join(" AND ", conditions);
        var definition = new QueryDefinition($"SELECT TOP @top * FROM c{where} ORDER BY c.sortKey").WithParameter("@top", query.PageSize + 1);
        foreach (var (name, value) in parameters)
        {
            definition = definition.WithParameter(name, value);
        }

        var results = new List<(InstanceState State, string SortKey)>();
        using var iterator = _hub.Instances.GetItemQueryStreamIterator(definition, requestOptions: new QueryRequestOptions { MaxItemCount = query.PageSize + 1 });
        while (iterator.HasMoreResults && results.Count <= query.PageSize)
        {
            using var response = await iterator.ReadNextAsync(cancellationToken).ConfigureAwait(false);
            EnsureSuccess(response, "query", "*");
            var page = await JsonNode.ParseAsync(response.Content, cancellationToken: cancellationToken).ConfigureAwait(false);
            foreach (var item in page?["Documents"]?.AsArray() ?? [])
            {
                if (item is not null)
                {
                    results.Add((ToState(item).WithoutBulk(), item["sortKey"]!.GetValue<string>()));
                }
            }
        }

        var hasMore = results.Count > query.PageSize;
        var pageItems = results.Take(query.PageSize).ToList();
        return new InstanceQueryPage([.. pageItems.Select(r => r.State)], hasMore ? pageItems[^1].SortKey : null);
    }

    private async Task<(MemoryStream Document, string? BlobName)> ToDocumentAsync(InstanceState state, CancellationToken cancellationToken)
    {
        var full = JsonSerializer.SerializeToUtf8Bytes(state, DurableJson.Options);
        string? blobName = null;
        var inline = state;
        if (full.Length > _hub.Options.MaxInlineDocumentBytes)
        {
            blobName = $"{InstancePrefix(state.InstanceId)}{Guid.NewGuid():N}.json";
            await _hub.Payloads.GetBlobClient(blobName).UploadAsync(BinaryData.FromBytes(full), overwrite: false, cancellationToken).ConfigureAwait(false);
            inline = state.WithoutBulk();
            if (JsonSerializer.SerializeToUtf8Bytes(inline, DurableJson.Options).Length > _hub.Options.MaxInlineDocumentBytes)
            {
                inline = inline with { Input = null, Output = null, CustomStatus = null };
            }
        }

        // The state is serialized once; the adapter's own properties are spliced in front of its members
        // (documents reach hundreds of KB, and this runs twice per episode).
        var body = ReferenceEquals(inline, state) ? full : JsonSerializer.SerializeToUtf8Bytes(inline, DurableJson.Options);
        var extra = new JsonObject
        {
            ["id"] = state.InstanceId,
            ["sortKey"] = SortKey(state.CreatedTime, state.InstanceId),
            ["nameKey"] = state.Name.ToLowerInvariant(),
        };
        if (blobName is not null)
        {
            extra[PayloadBlobProperty] = blobName;
        }

        var head = JsonSerializer.SerializeToUtf8Bytes(extra);
        var stream = new MemoryStream(head.Length + body.Length);
        stream.Write(head, 0, head.Length - 1);
        stream.WriteByte((byte)',');
        stream.Write(body, 1, body.Length - 1);
        stream.Position = 0;
        return (stream, blobName);
    }

    private static string InstancePrefix(string instanceId) => $"instances/{Uri.EscapeDataString(instanceId)}/";

    private static string Ticks(DateTime time) => DateTime.SpecifyKind(time, DateTimeKind.Utc).Ticks.ToString("D19", CultureInfo.InvariantCulture);

    private static string SortKey(DateTime created, string instanceId) => $"{Ticks(created)}|{instanceId}";

    private static InstanceState ToState(JsonNode document) =>
        document.Deserialize<InstanceState>(DurableJson.Options) ?? throw new InvalidOperationException("Corrupt instance document.");

    private static InstanceState Deserialize(ReadOnlyMemory<byte> json, JsonSerializerOptions options) =>
        JsonSerializer.Deserialize<InstanceState>(json.Span, options) ?? throw new InvalidOperationException("Corrupt instance state.");

    // Only the pointer is read: the reader skips every other member without building it.
    private static string? PayloadBlobOf(ReadOnlyMemory<byte> document) =>
        JsonSerializer.Deserialize<PayloadPointer>(document.Span)?.PayloadBlob;

    /// <summary>The instance document's bytes and ETag, or null when it does not exist.</summary>
    private async Task<(ReadOnlyMemory<byte> Document, string ETag)?> ReadDocumentAsync(string instanceId, CancellationToken cancellationToken)
    {
        await _hub.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        using var response = await _hub.Instances.ReadItemStreamAsync(instanceId, new PartitionKey(instanceId), cancellationToken: cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        EnsureSuccess(response, "read", instanceId);
        using var buffer = new MemoryStream();
        await response.Content.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        return (new ReadOnlyMemory<byte>(buffer.GetBuffer(), 0, (int)buffer.Length), response.Headers.ETag);
    }

    private void Remember(string etag, string? blobName)
    {
        if (blobName is null)
        {
            return;
        }

        if (_blobByETag.Count >= MaxRememberedBlobs)
        {
            // Forgetting only costs an orphan blob (removed at purge), never correctness.
            _blobByETag.Clear();
        }

        _blobByETag[etag] = blobName;
    }

    private static void EnsureSuccess(ResponseMessage response, string operation, string instanceId)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException(
                $"Cosmos DB {operation} of instance '{instanceId}' failed: {(int)response.StatusCode} {response.StatusCode} {response.ErrorMessage}");
        }
    }

    private sealed record PayloadPointer([property: JsonPropertyName(PayloadBlobProperty)] string? PayloadBlob);
}
