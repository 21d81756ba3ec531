using System.Text.Json.Serialization;
using EcosystemFlows.Domain.Partners;

namespace EcosystemFlows.Domain.Offerings;

/// <summary>A member's part in the offering.</summary>
public enum MemberRole
{
    /// <summary>Initiates the offering and leads it; exactly one.</summary>
    Lead,

    /// <summary>Builds or delivers part of the service.</summary>
    Contributor,

    /// <summary>Lists and sells it in its catalog (distributor, marketplace).</summary>
    Channel,
}

/// <summary>How the list price is billed.</summary>
public enum BillingTerm
{
    Monthly,
    Annual,
    OneTime,
}

/// <summary>Optional governance gates beyond the members' approvals and the executive sponsor.</summary>
public enum GateKind
{
    MemberApproval,
    ExecutiveSponsor,
    Legal,
    Finance,
    Security,

    /// <summary>Added when the conflict check finds competing offerings in the same category.</summary>
    ConflictReview,
}

/// <summary>A partner in the offering: role, what it commits to do, and its revenue share in percent.</summary>
public sealed record Member(string PartnerId, MemberRole Role, IReadOnlyList<string> Responsibilities, decimal RevenueSharePercent);

/// <summary>
/// Exactly one owner per support tier. Tickets escalate L1 → L2 → L3; the owners may be the same partner.
/// </summary>
public sealed record SupportPlan(string L1Owner, string L2Owner, string L3Owner)
{
    /// <summary>
    /// The owner of each tier, in escalation order. Derived from the three owners, so never serialized: it is not
    /// part of the contract (a value tuple has no JSON shape; it came out as <c>[{},{},{}]</c>).
    /// </summary>
    [JsonIgnore]
    public IReadOnlyList<(SupportTier Tier, string Owner)> EscalationPath =>
        [(SupportTier.L1, L1Owner), (SupportTier.L2, L2Owner), (SupportTier.L3, L3Owner)];
}

/// <summary>List price in an ISO 4217 currency, per billing term.</summary>
public sealed record Pricing(decimal ListPrice, string Currency, BillingTerm BillingTerm);

/// <summary>A business objective and how it is measured (e.g. "Annual recurring revenue", "1,000,000 EUR").</summary>
public sealed record Objective(string Metric, string Target);

/// <summary>An extra gate requested for the offering (legal, finance, security), with its approvers.</summary>
public sealed record AdditionalGate(GateKind Kind, IReadOnlyList<string> Approvers);

/// <summary>
/// Everything the members agree to. Any change produces a new <see cref="TermsHash"/>, and sign-offs given
/// for an older hash no longer count.
/// </summary>
public sealed record OfferingTerms
{
    public required string Name { get; init; }

    public required string Description { get; init; }

    /// <summary>The distributor's or marketplace's catalog the SKU is created in.</summary>
    public required string CatalogId { get; init; }

    public required string Category { get; init; }

    public required IReadOnlyList<Member> Members { get; init; }

    public required SupportPlan SupportPlan { get; init; }

    public required Pricing Pricing { get; init; }

    public required string ValueProposition { get; init; }

    public IReadOnlyList<Objective> Objectives { get; init; } = [];

    public IReadOnlyList<AdditionalGate> AdditionalGates { get; init; } = [];

    /// <summary>The planned launch date; agreements and certifications must be valid through it.</summary>
    public required DateOnly LaunchDate { get; init; }

    /// <summary>The lead member (validated to be exactly one). Derived, so never serialized.</summary>
    [JsonIgnore]
    public Member Lead => Members.First(m => m.Role == MemberRole.Lead);

    /// <summary>The hash every sign-off is bound to. Derived, so never serialized (it could not be trusted).</summary>
    [JsonIgnore]
    public string TermsHash => Offerings.TermsHash.Compute(this);
}
