using EcosystemFlows.Domain.Offerings;
using EcosystemFlows.Domain.Partners;

namespace EcosystemFlows.Domain.Tests;

public sealed class PartnerTests
{
    [Fact]
    public void Validate_ExamplePartners_HaveNoErrors()
    {
        Assert.All(Examples.Partners().Values, p => Assert.Empty(PartnerRules.Validate(p)));
    }

    [Fact]
    public void Validate_BadRegistration_ReportsEveryField()
    {
        var partner = Examples.Vendor with
        {
            PartnerId = "has space",
            Approvers = ["alice", "alice"],
            Support = new SupportCapability([], [], SupportHours.BusinessHours),
            Agreements = [new Agreement("NDA", new DateOnly(2026, 1, 1), new DateOnly(2025, 1, 1))],
        };

        var fields = PartnerRules.Validate(partner).Select(e => e.Field).ToList();

        Assert.Equal(["partnerId", "approvers", "support.tiers", "support.regions", "agreements[0].expiresOn"], fields);
    }

    [Fact]
    public void Verify_ExampleMembers_PassTheBaseline()
    {
        var terms = Examples.Terms();

        Assert.All(Examples.Partners().Values, p => Assert.Empty(PartnerVerification.Verify(p, terms)));
    }

    [Fact]
    public void Verify_SuspendedPartner_Fails()
    {
        var findings = PartnerVerification.Verify(Examples.Vendor with { Status = PartnerStatus.Suspended }, Examples.Terms());

        Assert.Contains(findings, f => f.Contains("Suspended", StringComparison.Ordinal));
    }

    [Fact]
    public void Verify_AgreementExpiringBeforeLaunch_Fails()
    {
        var terms = Examples.Terms() with { LaunchDate = new DateOnly(2027, 3, 2) };

        var findings = PartnerVerification.Verify(Examples.Integrator, terms);

        Assert.Contains(findings, f => f.Contains("valid through the launch date 2027-03-02", StringComparison.Ordinal));
    }

    [Fact]
    public void Verify_SupportOwnerWithoutCapabilityOrCertification_Fails()
    {
        var vendor = Examples.Vendor with
        {
            Support = new SupportCapability([SupportTier.L1], ["EU"], SupportHours.BusinessHours),
            Certifications = [new Certification("Old", new DateOnly(2026, 12, 31))],
        };

        var findings = PartnerVerification.Verify(vendor, Examples.Terms());

        Assert.Equal(2, findings.Count);
        Assert.Contains(findings, f => f.Contains("cannot deliver L3", StringComparison.Ordinal));
        Assert.Contains(findings, f => f.Contains("no certification", StringComparison.Ordinal));
    }

    [Fact]
    public void GatesFor_Example_OneGatePerMemberPlusSponsorPlusRequested()
    {
        var gates = Governance.GatesFor(Examples.Terms(), Examples.Partners());

        Assert.Equal(["member-contoso", "member-northwind", "member-fabrikam", "sponsor", "legal"], gates.Select(g => g.GateId));
        Assert.Equal(["dan", "erin"], gates.Single(g => g.GateId == "member-fabrikam").Approvers);
        Assert.Equal(["carol"], gates.Single(g => g.Kind == GateKind.ExecutiveSponsor).Approvers);
        Assert.Equal(["ivan"], gates.Single(g => g.Kind == GateKind.Legal).Approvers);
    }

    [Fact]
    public void ConflictReviewGate_IsForTheLeadsSponsor()
    {
        var gate = Governance.ConflictReviewGate(Examples.Terms(), Examples.Partners());

        Assert.Equal((Governance.ConflictReviewGateId, GateKind.ConflictReview, "contoso"), (gate.GateId, gate.Kind, gate.PartnerId));
        Assert.Equal(["carol"], gate.Approvers);
    }
}
