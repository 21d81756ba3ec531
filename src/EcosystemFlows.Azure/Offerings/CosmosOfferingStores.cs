using System.Net;
using System.Text.Json.Nodes;
using EcosystemFlows.Domain.Partners;
using EcosystemFlows.Domain.Ports;
using Microsoft.Azure.Cosmos;

namespace EcosystemFlows.Azure.Offerings;

/// <summary>Partners in the <c>partners</c> container, one document per partner.</summary>
public sealed class CosmosPartnerDirectory(OfferingData data) : IPartnerDirectory
{
    private const string Type = "partner";

    /// <inheritdoc />
    public async Task UpsertAsync(Partner partner, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(partner);
        using var document = OfferingData.ToDocument(partner, partner.PartnerId, "partnerId", partner.PartnerId, Type);
        using var response = await data.Partners.UpsertItemStreamAsync(document, new PartitionKey(partner.PartnerId), cancellationToken: cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
    }

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<string, Partner>> GetManyAsync(IReadOnlyCollection<string> partnerIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(partnerIds);
        // Point reads (1 RU each) in parallel beat a cross-partition IN query for the handful of members.
        var reads = await Task.WhenAll(partnerIds.Distinct(StringComparer.Ordinal)
            .Select(id => OfferingData.ReadAsync<Partner>(data.Partners, id, id, cancellationToken))).ConfigureAwait(false);
        return reads.OfType<Partner>().ToDictionary(p => p.PartnerId, StringComparer.Ordinal);
    }

    /// <inheritdoc />
    public Task<Page<Partner>> ListAsync(string? continuationToken, int pageSize, CancellationToken cancellationToken) =>
        OfferingData.QueryPageAsync<Partner>(
            data.Partners,
            new QueryDefinition("SELECT * FROM c WHERE c.docType = @type ORDER BY c.partnerId").WithParameter("@type", Type),
            continuationToken,
            pageSize,
            cancellationToken);
}

/// <summary>
/// Offerings in the <c>offerings</c> container: a <c>snapshot</c> document (with the sequence of the entry it
/// reflects) and one <c>audit</c> document per entry (id <c>audit-{entryId}</c>: a retried write hits 409 and
/// changes nothing).
/// </summary>
public sealed class CosmosOfferingStore(OfferingData data) : IOfferingStore
{
    private const string SnapshotId = "snapshot";

    private sealed record DecisionDocument(string RoundInstanceId, string GateId, string UserId, bool? Approve);

    private sealed record AuditDocument(string OfferingId, string EntryId, int Sequence, DateTime At, string Actor, string Action, string Detail);

    /// <inheritdoc />
    public async Task RecordAsync(OfferingSnapshot snapshot, AuditEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(entry);
        var key = new PartitionKey(snapshot.OfferingId);
        using (var audit = OfferingData.ToDocument(entry, $"audit-{entry.EntryId}", "offeringId", snapshot.OfferingId, "audit"))
        using (var created = await data.Offerings.CreateItemStreamAsync(audit, key, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (created.StatusCode != HttpStatusCode.Conflict)
            {
                created.EnsureSuccessStatusCode();
            }
        }

        // The snapshot follows the entry with the highest sequence. A transition runs again after a crash or a
        // redelivery (a work item whose result was committed reappears before it was deleted), possibly after
        // later ones: an unconditional write would put an older stage back (found by the fault suite, #8).
        while (true)
        {
            using var current = await data.Offerings.ReadItemStreamAsync(SnapshotId, key, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (current.StatusCode != HttpStatusCode.NotFound)
            {
                current.EnsureSuccessStatusCode();
                if ((await JsonNode.ParseAsync(current.Content, cancellationToken: cancellationToken).ConfigureAwait(false))?["sequence"]?.GetValue<int>() >= entry.Sequence)
                {
                    return;
                }
            }

            using var document = OfferingData.ToDocument(snapshot, SnapshotId, "offeringId", snapshot.OfferingId, SnapshotId,
                ("memberIds", new JsonArray([.. snapshot.Terms.Members.Select(m => JsonValue.Create(m.PartnerId))])),
                ("sequence", JsonValue.Create(entry.Sequence)));
            using var written = current.StatusCode == HttpStatusCode.NotFound
                ? await data.Offerings.CreateItemStreamAsync(document, key, cancellationToken: cancellationToken).ConfigureAwait(false)
                : await data.Offerings.ReplaceItemStreamAsync(document, SnapshotId, key, new ItemRequestOptions { IfMatchEtag = current.Headers.ETag }, cancellationToken).ConfigureAwait(false);
            if (written.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.PreconditionFailed)
            {
                // Another transition wrote in between: decide again on what it wrote.
                continue;
            }

            written.EnsureSuccessStatusCode();
            return;
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<OfferingSnapshot>> FindActiveAsync(string catalogId, string category, string excludeOfferingId, CancellationToken cancellationToken)
    {
        var query = new QueryDefinition(
                "SELECT * FROM c WHERE c.docType = @type AND c.isActive = true AND c.terms.catalogId = @catalog " +
                "AND c.terms.category = @category AND c.offeringId != @exclude")
            .WithParameter("@type", SnapshotId)
            .WithParameter("@catalog", catalogId)
            .WithParameter("@category", category)
            .WithParameter("@exclude", excludeOfferingId);
        return await OfferingData.QueryAllAsync<OfferingSnapshot>(data.Offerings, query, partitionKey: null, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<bool> TryClaimDecisionAsync(string offeringId, string roundInstanceId, string gateId, string userId, bool approve, CancellationToken cancellationToken)
    {
        var id = $"decision-{roundInstanceId}-{gateId}";
        using (var document = OfferingData.ToDocument(new DecisionDocument(roundInstanceId, gateId, userId, approve), id, "offeringId", offeringId, "decision"))
        using (var response = await data.Offerings.CreateItemStreamAsync(document, new PartitionKey(offeringId), cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (response.StatusCode != HttpStatusCode.Conflict)
            {
                response.EnsureSuccessStatusCode();
                return true;
            }
        }

        // Claimed already: by this very decision (a retry or redelivery), or by a rival.
        var holder = await OfferingData.ReadAsync<DecisionDocument>(data.Offerings, id, offeringId, cancellationToken).ConfigureAwait(false);
        return holder is not null && holder.UserId == userId && holder.Approve == approve;
    }

    /// <inheritdoc />
    public async Task<string?> CloseDecisionAsync(string offeringId, string roundInstanceId, string gateId, CancellationToken cancellationToken)
    {
        var id = $"decision-{roundInstanceId}-{gateId}";
        while (true)
        {
            // No answer at all (null) marks the gate closed: a claim compares the holder's answer with its own, so it fails.
            using (var document = OfferingData.ToDocument(new DecisionDocument(roundInstanceId, gateId, "", null), id, "offeringId", offeringId, "decision"))
            using (var response = await data.Offerings.CreateItemStreamAsync(document, new PartitionKey(offeringId), cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                if (response.StatusCode != HttpStatusCode.Conflict)
                {
                    response.EnsureSuccessStatusCode();
                    return null;
                }
            }

            // A claim was first, or this close ran before (a retried activity); a claim released meanwhile: close again.
            var holder = await OfferingData.ReadAsync<DecisionDocument>(data.Offerings, id, offeringId, cancellationToken).ConfigureAwait(false);
            if (holder is not null)
            {
                return holder.Approve is null ? null : holder.UserId;
            }
        }
    }

    /// <inheritdoc />
    public async Task ReleaseDecisionAsync(string offeringId, string roundInstanceId, string gateId, CancellationToken cancellationToken)
    {
        using var response = await data.Offerings.DeleteItemStreamAsync($"decision-{roundInstanceId}-{gateId}", new PartitionKey(offeringId), cancellationToken: cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.NotFound)
        {
            response.EnsureSuccessStatusCode();
        }
    }

    /// <inheritdoc />
    public Task<OfferingSnapshot?> GetAsync(string offeringId, CancellationToken cancellationToken) =>
        OfferingData.ReadAsync<OfferingSnapshot>(data.Offerings, SnapshotId, offeringId, cancellationToken);

    /// <inheritdoc />
    public async Task<IReadOnlyList<AuditEntry>> GetAuditAsync(string offeringId, CancellationToken cancellationToken)
    {
        var query = new QueryDefinition("SELECT * FROM c WHERE c.docType = @type").WithParameter("@type", "audit");
        var entries = await OfferingData.QueryAllAsync<AuditEntry>(data.Offerings, query, offeringId, cancellationToken).ConfigureAwait(false);
        return [.. entries.OrderBy(e => e.Sequence).ThenBy(e => e.At)];
    }

    /// <inheritdoc />
    public async Task<Page<OfferingAuditEntry>> ListAuditByActorAsync(string actor, string action, string? continuationToken, int pageSize, CancellationToken cancellationToken)
    {
        var query = new QueryDefinition("SELECT * FROM c WHERE c.docType = @type AND c.actor = @actor AND c.action = @action ORDER BY c.at DESC")
            .WithParameter("@type", "audit")
            .WithParameter("@actor", actor)
            .WithParameter("@action", action);
        var page = await OfferingData.QueryPageAsync<AuditDocument>(data.Offerings, query, continuationToken, pageSize, cancellationToken).ConfigureAwait(false);
        return new Page<OfferingAuditEntry>(
            [.. page.Items.Select(d => new OfferingAuditEntry(d.OfferingId, new AuditEntry(d.EntryId, d.Sequence, d.At, d.Actor, d.Action, d.Detail)))],
            page.ContinuationToken);
    }

    /// <inheritdoc />
    public Task<Page<OfferingSnapshot>> ListForPartnerAsync(string partnerId, string? stage, string? continuationToken, int pageSize, CancellationToken cancellationToken)
    {
        var text = "SELECT * FROM c WHERE c.docType = @type AND ARRAY_CONTAINS(c.memberIds, @partner)" + (stage is null ? "" : " AND c.stage = @stage");
        var query = new QueryDefinition(text + " ORDER BY c.offeringId")
            .WithParameter("@type", SnapshotId)
            .WithParameter("@partner", partnerId)
            .WithParameter("@stage", stage);
        return OfferingData.QueryPageAsync<OfferingSnapshot>(data.Offerings, query, continuationToken, pageSize, cancellationToken);
    }
}

/// <summary>SKUs in the <c>catalog</c> container: document id = SKU code, partition = catalog.</summary>
public sealed class CosmosCatalog(OfferingData data) : ICatalog
{
    private sealed record SkuDocument(string OfferingId, bool Retired);

    /// <inheritdoc />
    public async Task<bool> TryClaimAsync(string catalogId, string skuCode, string offeringId, CancellationToken cancellationToken)
    {
        using (var document = OfferingData.ToDocument(new SkuDocument(offeringId, false), skuCode, "catalogId", catalogId, "sku"))
        using (var created = await data.Catalog.CreateItemStreamAsync(document, new PartitionKey(catalogId), cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (created.IsSuccessStatusCode)
            {
                return true;
            }

            if (created.StatusCode != HttpStatusCode.Conflict)
            {
                created.EnsureSuccessStatusCode();
            }
        }

        // Taken: ours (a retried activity) or another offering's (a hash collision).
        var holder = await OfferingData.ReadAsync<SkuDocument>(data.Catalog, skuCode, catalogId, cancellationToken).ConfigureAwait(false);
        return holder?.OfferingId == offeringId;
    }

    /// <inheritdoc />
    public async Task RetireAsync(string catalogId, string skuCode, CancellationToken cancellationToken)
    {
        using var response = await data.Catalog.PatchItemStreamAsync(
            skuCode, new PartitionKey(catalogId), [PatchOperation.Set("/retired", true)], cancellationToken: cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
    }
}

/// <summary>Support routing as a <c>support</c> document in the offering's partition.</summary>
public sealed class CosmosSupportRouting(OfferingData data) : ISupportRouting
{
    private const string Id = "support";

    private sealed record RoutingDocument(IReadOnlyList<SupportAssignment> Assignments, bool Ended);

    /// <inheritdoc />
    public async Task AssignAsync(string offeringId, IReadOnlyList<SupportAssignment> assignments, CancellationToken cancellationToken)
    {
        // Create, never replace: an assignment re-run late (its work item redelivered after a crash) must not
        // revive routing that a cancellation or retirement has ended since.
        using var document = OfferingData.ToDocument(new RoutingDocument(assignments, Ended: false), Id, "offeringId", offeringId, Id);
        using var response = await data.Offerings.CreateItemStreamAsync(document, new PartitionKey(offeringId), cancellationToken: cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Conflict)
        {
            response.EnsureSuccessStatusCode();
        }
    }

    /// <inheritdoc />
    public async Task EndAsync(string offeringId, CancellationToken cancellationToken)
    {
        var current = await OfferingData.ReadAsync<RoutingDocument>(data.Offerings, Id, offeringId, cancellationToken).ConfigureAwait(false);
        await UpsertAsync(offeringId, new RoutingDocument(current?.Assignments ?? [], Ended: true), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The offering's routing, or null when none was assigned.</summary>
    public async Task<(IReadOnlyList<SupportAssignment> Assignments, bool Ended)?> GetAsync(string offeringId, CancellationToken cancellationToken) =>
        await OfferingData.ReadAsync<RoutingDocument>(data.Offerings, Id, offeringId, cancellationToken).ConfigureAwait(false) is { } doc
            ? (doc.Assignments, doc.Ended)
            : null;

    private async Task UpsertAsync(string offeringId, RoutingDocument routing, CancellationToken cancellationToken)
    {
        using var document = OfferingData.ToDocument(routing, Id, "offeringId", offeringId, Id);
        using var response = await data.Offerings.UpsertItemStreamAsync(document, new PartitionKey(offeringId), cancellationToken: cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
    }
}
