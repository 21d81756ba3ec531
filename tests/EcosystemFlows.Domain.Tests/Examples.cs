using EcosystemFlows.Domain.Offerings;
using EcosystemFlows.Domain.Partners;

namespace EcosystemFlows.Domain.Tests;

/// <summary>A valid three-partner offering (vendor, distributor, integrator) that tests vary one field at a time.</summary>
internal static class Examples
{
    public static readonly DateOnly Today = new(2026, 11, 23);

    public static Partner Vendor => new()
    {
        PartnerId = "contoso",
        Name = "Contoso Security",
        Type = PartnerType.Vendor,
        Agreements = [new Agreement(PartnerVerification.PartnerAgreementKind, new DateOnly(2025, 1, 1), new DateOnly(2028, 1, 1))],
        Certifications = [new Certification("Managed SOC delivery", new DateOnly(2027, 6, 30))],
        Support = new SupportCapability([SupportTier.L3], ["EU"], SupportHours.BusinessHours),
        Approvers = ["alice"],
        ExecutiveSponsor = "carol",
    };

    public static Partner Distributor => new()
    {
        PartnerId = "fabrikam",
        Name = "Fabrikam Distribution",
        Type = PartnerType.Distributor,
        Agreements = [new Agreement(PartnerVerification.PartnerAgreementKind, new DateOnly(2024, 6, 1), null)],
        Support = new SupportCapability([SupportTier.L1], ["EU", "UK"], SupportHours.TwentyFourSeven),
        Certifications = [new Certification("Service desk", null)],
        Approvers = ["dan", "erin"],
        ExecutiveSponsor = "frank",
    };

    public static Partner Integrator => new()
    {
        PartnerId = "northwind",
        Name = "Northwind Integration",
        Type = PartnerType.Integrator,
        Agreements = [new Agreement(PartnerVerification.PartnerAgreementKind, new DateOnly(2025, 3, 1), new DateOnly(2027, 3, 1))],
        Certifications = [new Certification("SOC onboarding", null)],
        Support = new SupportCapability([SupportTier.L1, SupportTier.L2], ["EU"], SupportHours.FollowTheSun),
        Approvers = ["grace"],
        ExecutiveSponsor = "heidi",
    };

    public static Dictionary<string, Partner> Partners() => new[] { Vendor, Distributor, Integrator }.ToDictionary(p => p.PartnerId);

    public static OfferingTerms Terms() => new()
    {
        Name = "Managed SOC for mid-market",
        Description = "A 24x7 security operations service built by Contoso, delivered by Northwind, sold by Fabrikam.",
        CatalogId = "fabrikam-eu",
        Category = "Security services",
        Members =
        [
            new Member("contoso", MemberRole.Lead, ["Builds and operates the SOC platform"], 50m),
            new Member("northwind", MemberRole.Contributor, ["Onboards customers", "Runs L2 triage"], 30m),
            new Member("fabrikam", MemberRole.Channel, ["Lists the SKU and bills customers"], 20m),
        ],
        SupportPlan = new SupportPlan("fabrikam", "northwind", "contoso"),
        Pricing = new Pricing(1499.00m, "EUR", BillingTerm.Monthly),
        ValueProposition = "Enterprise-grade SOC at a mid-market price, one SKU, one bill.",
        Objectives = [new Objective("Customers in year one", "40")],
        AdditionalGates = [new AdditionalGate(GateKind.Legal, ["ivan"])],
        LaunchDate = new DateOnly(2027, 1, 15),
    };
}
