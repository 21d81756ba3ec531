namespace EcosystemFlows.Durable.Ports;

/// <summary>
/// Port to the instance store. Implementations: <c>InMemoryInstanceStore</c> (part 1) and a Cosmos DB
/// container with one document per instance and ETag-guarded replace (part 2, #4). No multi-document
/// transactions are needed: every state change is one conditional write of one document.
/// </summary>
public interface IInstanceStore
{
    /// <summary>Loads an instance with its current ETag, or null when it does not exist.</summary>
    Task<StoredInstance?> GetAsync(string instanceId, CancellationToken cancellationToken);

    /// <summary>
    /// Loads an instance's status without its history, inbox, outbox and processed message ids (those are
    /// empty in the result), or null when it does not exist. Clients poll this; a store that can read the
    /// status fields for less than the whole document overrides it.
    /// </summary>
    async Task<InstanceState?> GetStatusAsync(string instanceId, CancellationToken cancellationToken) =>
        (await GetAsync(instanceId, cancellationToken).ConfigureAwait(false))?.State.WithoutBulk();

    /// <summary>Creates the instance if no document with its id exists; returns the new ETag, or null if it already exists.</summary>
    Task<string?> TryCreateAsync(InstanceState state, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces the instance if its current ETag equals <paramref name="etag"/>; returns the new ETag, or
    /// null on a conflict (another writer committed first, or the instance was deleted): reload and retry.
    /// </summary>
    Task<string?> TryReplaceAsync(InstanceState state, string etag, CancellationToken cancellationToken);

    /// <summary>Deletes the instance unconditionally; returns false if it did not exist.</summary>
    Task<bool> DeleteAsync(string instanceId, CancellationToken cancellationToken);

    /// <summary>
    /// Returns one page of instances matching <paramref name="query"/>, ordered by creation time then id.
    /// Results may omit <see cref="InstanceState.History"/>, inbox and outbox (projection).
    /// </summary>
    Task<InstanceQueryPage> QueryAsync(InstanceQuery query, CancellationToken cancellationToken);
}

/// <summary>An instance and the ETag to pass to <see cref="IInstanceStore.TryReplaceAsync"/>.</summary>
public sealed record StoredInstance(InstanceState State, string ETag);

/// <summary>Store-level instance query; null filters match everything.</summary>
/// <param name="Statuses">Runtime statuses to include.</param>
/// <param name="Names">Orchestrator names to include.</param>
/// <param name="CreatedFrom">Inclusive lower bound of the creation time.</param>
/// <param name="CreatedTo">Inclusive upper bound of the creation time.</param>
/// <param name="InstanceIdPrefix">Instance id prefix (ordinal).</param>
/// <param name="PageSize">Maximum instances per page.</param>
/// <param name="ContinuationToken">Opaque token from the previous page, or null for the first.</param>
public sealed record InstanceQuery(
    IReadOnlyCollection<OrchestrationRuntimeStatus>? Statuses,
    IReadOnlyCollection<string>? Names,
    DateTime? CreatedFrom,
    DateTime? CreatedTo,
    string? InstanceIdPrefix,
    int PageSize,
    string? ContinuationToken);

/// <summary>One page of query results; <paramref name="ContinuationToken"/> is null on the last page.</summary>
public sealed record InstanceQueryPage(IReadOnlyList<InstanceState> Instances, string? ContinuationToken);
