namespace EcosystemFlows.Domain.Partners;

/// <summary>What kind of organisation a partner is in the ecosystem.</summary>
public enum PartnerType
{
    Vendor,
    Distributor,
    Integrator,
    ServiceProvider,
    Marketplace,
    Reseller,
}

/// <summary>A suspended partner cannot join new offerings.</summary>
public enum PartnerStatus
{
    Active,
    Suspended,
}

/// <summary>Support levels of a joint offering: first line, second line, third line (engineering).</summary>
public enum SupportTier
{
    L1 = 1,
    L2 = 2,
    L3 = 3,
}

/// <summary>When a partner's support desk answers.</summary>
public enum SupportHours
{
    BusinessHours,
    FollowTheSun,
    TwentyFourSeven,
}

/// <summary>A signed agreement (e.g. partner agreement, NDA, data processing) with its validity.</summary>
public sealed record Agreement(string Kind, DateOnly SignedOn, DateOnly? ExpiresOn)
{
    /// <summary>True when the agreement is in force for the whole period up to <paramref name="date"/>.</summary>
    public bool IsValidThrough(DateOnly date) => SignedOn <= date && (ExpiresOn is null || ExpiresOn >= date);
}

/// <summary>A certification held by the partner (e.g. a vendor's service-delivery certification).</summary>
public sealed record Certification(string Name, DateOnly? ExpiresOn)
{
    /// <summary>True when the certification is still valid on <paramref name="date"/>.</summary>
    public bool IsValidOn(DateOnly date) => ExpiresOn is null || ExpiresOn >= date;
}

/// <summary>Which support tiers the partner can deliver, where and when.</summary>
public sealed record SupportCapability(IReadOnlyList<SupportTier> Tiers, IReadOnlyList<string> Regions, SupportHours Hours)
{
    /// <summary>True when the partner can own <paramref name="tier"/>.</summary>
    public bool CanDeliver(SupportTier tier) => Tiers.Contains(tier);
}

/// <summary>A partner organisation: who it is, what it has signed, what it can support and who approves for it.</summary>
public sealed record Partner
{
    /// <summary>Document schema version.</summary>
    public int SchemaVersion { get; init; } = 1;

    /// <summary>Partner id (Cosmos partition key of the <c>partners</c> container).</summary>
    public required string PartnerId { get; init; }

    public required string Name { get; init; }

    public required PartnerType Type { get; init; }

    public PartnerStatus Status { get; init; } = PartnerStatus.Active;

    public IReadOnlyList<Agreement> Agreements { get; init; } = [];

    public IReadOnlyList<Certification> Certifications { get; init; } = [];

    public required SupportCapability Support { get; init; }

    /// <summary>User ids allowed to sign off governance gates for this partner.</summary>
    public IReadOnlyList<string> Approvers { get; init; } = [];

    /// <summary>User id of the executive sponsor (escalation target).</summary>
    public required string ExecutiveSponsor { get; init; }
}
