using EcosystemFlows.Domain.Offerings;
using EcosystemFlows.Domain.Partners;

namespace EcosystemFlows.Bench.Faults;

/// <summary>
/// The partners and terms every offering of a run uses: a vendor, a distributor with two approvers (the
/// racing approvers) and an integrator. Offerings come in pairs sharing a catalog category, so the second
/// of a pair may meet an active first one and get a conflict-review gate, without every offering
/// overlapping every other (the conflict check reads all active offerings of its category).
/// </summary>
internal static class Scenario
{
    public const string Lead = "contoso";
    public const string Catalog = "fabrikam-eu";

    /// <summary>Who signs which gate (the first approver; member-fabrikam also has <see cref="RivalApprover"/>).</summary>
    public const string RivalApprover = "erin";

    public static IReadOnlyList<Partner> Partners(DateOnly today) =>
    [
        new Partner
        {
            PartnerId = Lead, Name = "Contoso Security", Type = PartnerType.Vendor,
            Agreements = [new Agreement(PartnerVerification.PartnerAgreementKind, today.AddYears(-1), today.AddYears(2))],
            Certifications = [new Certification("Managed SOC delivery", today.AddYears(1))],
            Support = new SupportCapability([SupportTier.L3], ["EU"], SupportHours.BusinessHours),
            Approvers = ["alice"], ExecutiveSponsor = "carol",
        },
        new Partner
        {
            PartnerId = "fabrikam", Name = "Fabrikam Distribution", Type = PartnerType.Distributor,
            Agreements = [new Agreement(PartnerVerification.PartnerAgreementKind, today.AddYears(-2), null)],
            Certifications = [new Certification("Service desk", null)],
            Support = new SupportCapability([SupportTier.L1], ["EU", "UK"], SupportHours.TwentyFourSeven),
            Approvers = ["dan", RivalApprover], ExecutiveSponsor = "frank",
        },
        new Partner
        {
            PartnerId = "northwind", Name = "Northwind Integration", Type = PartnerType.Integrator,
            Agreements = [new Agreement(PartnerVerification.PartnerAgreementKind, today.AddMonths(-6), today.AddYears(1))],
            Certifications = [new Certification("SOC onboarding", null)],
            Support = new SupportCapability([SupportTier.L1, SupportTier.L2], ["EU"], SupportHours.FollowTheSun),
            Approvers = ["grace"], ExecutiveSponsor = "heidi",
        },
    ];

    /// <summary>The terms of offering <paramref name="index"/>; <paramref name="price"/> differs for an amendment.</summary>
    public static OfferingTerms Terms(string run, int index, DateOnly today, decimal price = 1499m) => new()
    {
        Name = $"Managed SOC {run} #{index}",
        Description = "24x7 security operations built by Contoso, onboarded by Northwind, sold by Fabrikam.",
        CatalogId = Catalog,
        Category = $"Security {run} {index / 2}",
        Members =
        [
            new Member(Lead, MemberRole.Lead, ["Builds and operates the SOC platform"], 50m),
            new Member("northwind", MemberRole.Contributor, ["Onboards customers"], 30m),
            new Member("fabrikam", MemberRole.Channel, ["Lists the SKU and bills customers"], 20m),
        ],
        SupportPlan = new SupportPlan("fabrikam", "northwind", Lead),
        Pricing = new Pricing(price, "EUR", BillingTerm.Monthly),
        ValueProposition = "Enterprise-grade SOC at a mid-market price.",
        Objectives = [new Objective("Customers in year one", "40")],
        AdditionalGates = [new AdditionalGate(GateKind.Legal, ["ivan"])],
        LaunchDate = today.AddMonths(2),
    };
}
