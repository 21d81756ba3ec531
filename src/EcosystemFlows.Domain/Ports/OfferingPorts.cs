using EcosystemFlows.Domain.Offerings;
using EcosystemFlows.Domain.Partners;

namespace EcosystemFlows.Domain.Ports;

/// <summary>Registered partners (Cosmos container <c>partners</c>).</summary>
public interface IPartnerDirectory
{
    /// <summary>The partners with these ids that exist; missing ids are simply absent from the result.</summary>
    Task<IReadOnlyDictionary<string, Partner>> GetManyAsync(IReadOnlyCollection<string> partnerIds, CancellationToken cancellationToken);

    /// <summary>Creates or replaces a partner's registration.</summary>
    Task UpsertAsync(Partner partner, CancellationToken cancellationToken);

    /// <summary>One page of partners ordered by id, and the token of the next page (null on the last).</summary>
    Task<Page<Partner>> ListAsync(string? continuationToken, int pageSize, CancellationToken cancellationToken);
}

/// <summary>One page of a listing; <paramref name="ContinuationToken"/> is null on the last page.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? ContinuationToken);

/// <summary>One entry of an offering's audit trail / attribution ledger: who did what, when.</summary>
/// <param name="EntryId">Stable id naming the transition by its cause (also its event id), so a retried write never duplicates an entry and another transition never takes its place.</param>
/// <param name="Sequence">Order within the offering (the workflow's count of its transitions).</param>
/// <param name="At">When it happened (orchestration time).</param>
/// <param name="Actor">User id, partner id or <c>system</c>.</param>
/// <param name="Action">What happened, e.g. <c>signoff.recorded</c>.</param>
/// <param name="Detail">Human-readable detail.</param>
public sealed record AuditEntry(string EntryId, int Sequence, DateTime At, string Actor, string Action, string Detail);

/// <summary>An audit entry with the offering it belongs to, as a query across offerings returns it.</summary>
public sealed record OfferingAuditEntry(string OfferingId, AuditEntry Entry);

/// <summary>
/// The state of an offering as APIs and the conflict check read it (Cosmos container <c>offerings</c>):
/// <paramref name="Terms"/> are the terms in force; <paramref name="PendingTerms"/> an amendment being signed.
/// </summary>
public sealed record OfferingSnapshot(
    string OfferingId,
    string InitiatingPartnerId,
    OfferingTerms Terms,
    string Stage,
    bool IsActive,
    string? SkuCode,
    OfferingTerms? PendingTerms = null);

/// <summary>Offerings' current state and audit trails.</summary>
public interface IOfferingStore
{
    /// <summary>
    /// Appends <paramref name="entry"/> unless an entry with its id exists, and creates or replaces the snapshot
    /// unless it already reflects an entry with the same or a higher sequence (a transition run again after a later one).
    /// </summary>
    Task RecordAsync(OfferingSnapshot snapshot, AuditEntry entry, CancellationToken cancellationToken);

    /// <summary>Active offerings (not rejected, expired, cancelled or retired) in a catalog category, other than <paramref name="excludeOfferingId"/>.</summary>
    Task<IReadOnlyList<OfferingSnapshot>> FindActiveAsync(string catalogId, string category, string excludeOfferingId, CancellationToken cancellationToken);

    /// <summary>An offering's snapshot, or null.</summary>
    Task<OfferingSnapshot?> GetAsync(string offeringId, CancellationToken cancellationToken);

    /// <summary>
    /// Records that a gate of a sign-off round was decided; false if it already was by another approver or
    /// with the other answer. Makes "one decision per gate" hold when two approvers race, before the decision
    /// reaches the orchestration; the same approver repeating the same decision (a retried request, a
    /// redelivered command, a retry after a crash between claim and delivery) gets true again.
    /// </summary>
    Task<bool> TryClaimDecisionAsync(string offeringId, string roundInstanceId, string gateId, string userId, bool approve, CancellationToken cancellationToken);

    /// <summary>
    /// Closes an undecided gate of a round that ended (cancelled, rejected, expired), so no decision can be claimed
    /// for it any more. Returns the approver whose claim came first: a decision accepted from them that the round
    /// ended before applying (it raced the end), which the workflow records instead of dropping; else null.
    /// </summary>
    Task<string?> CloseDecisionAsync(string offeringId, string roundInstanceId, string gateId, CancellationToken cancellationToken);

    /// <summary>Undoes a claim whose decision could not be delivered, so the approver can retry.</summary>
    Task ReleaseDecisionAsync(string offeringId, string roundInstanceId, string gateId, CancellationToken cancellationToken);

    /// <summary>An offering's audit trail in order.</summary>
    Task<IReadOnlyList<AuditEntry>> GetAuditAsync(string offeringId, CancellationToken cancellationToken);

    /// <summary>One page of the audit entries across offerings that <paramref name="actor"/> made with <paramref name="action"/>, latest first.</summary>
    Task<Page<OfferingAuditEntry>> ListAuditByActorAsync(string actor, string action, string? continuationToken, int pageSize, CancellationToken cancellationToken);

    /// <summary>One page of the offerings <paramref name="partnerId"/> is a member of, optionally in one stage.</summary>
    Task<Page<OfferingSnapshot>> ListForPartnerAsync(string partnerId, string? stage, string? continuationToken, int pageSize, CancellationToken cancellationToken);
}

/// <summary>The distributor's catalog: SKUs unique per catalog (Cosmos container <c>catalog</c>).</summary>
public interface ICatalog
{
    /// <summary>
    /// Claims <paramref name="skuCode"/> for <paramref name="offeringId"/>: true if it is now (or already was)
    /// this offering's, false if another offering holds it.
    /// </summary>
    Task<bool> TryClaimAsync(string catalogId, string skuCode, string offeringId, CancellationToken cancellationToken);

    /// <summary>Marks the SKU retired (idempotent).</summary>
    Task RetireAsync(string catalogId, string skuCode, CancellationToken cancellationToken);
}

/// <summary>A support routing record: which partner answers which tier, and where to escalate.</summary>
public sealed record SupportAssignment(SupportTier Tier, string OwnerPartnerId, SupportTier? EscalatesTo);

/// <summary>Support routing (who customers reach at L1, L2, L3).</summary>
public interface ISupportRouting
{
    /// <summary>
    /// Sets the offering's routing to <paramref name="assignments"/> once (idempotent); routing that exists already,
    /// ended included, stays as it is, so a late re-run cannot revive ended routing.
    /// </summary>
    Task AssignAsync(string offeringId, IReadOnlyList<SupportAssignment> assignments, CancellationToken cancellationToken);

    /// <summary>Ends the offering's routing (idempotent).</summary>
    Task EndAsync(string offeringId, CancellationToken cancellationToken);
}

/// <summary>Offering artefacts (Blob storage <c>artifacts/{offeringId}/…</c>).</summary>
public interface IArtifactStore
{
    /// <summary>Writes (or overwrites with identical content) an artefact.</summary>
    Task WriteAsync(string offeringId, string name, string contentType, ReadOnlyMemory<byte> content, CancellationToken cancellationToken);

    /// <summary>An artefact's content and type, or null when missing.</summary>
    Task<Artifact?> ReadAsync(string offeringId, string name, CancellationToken cancellationToken);
}

/// <summary>An artefact's bytes and content type.</summary>
public sealed record Artifact(ReadOnlyMemory<byte> Content, string ContentType);
