using EcosystemFlows.Domain.Offerings;

namespace EcosystemFlows.Domain.Partners;

/// <summary>
/// "Trust, but verify": checks a member against the baseline every member must meet for one offering.
/// The joint-offering workflow runs it per member (one activity each) before any sign-off is requested.
/// </summary>
public static class PartnerVerification
{
    /// <summary>The agreement kind every member needs, valid through the launch date.</summary>
    public const string PartnerAgreementKind = "PartnerAgreement";

    /// <summary>Why <paramref name="partner"/> cannot be a member of <paramref name="terms"/>; empty when it can.</summary>
    public static IReadOnlyList<string> Verify(Partner partner, OfferingTerms terms)
    {
        ArgumentNullException.ThrowIfNull(partner);
        ArgumentNullException.ThrowIfNull(terms);
        var findings = new List<string>();
        if (partner.Status != PartnerStatus.Active)
        {
            findings.Add($"partner {partner.PartnerId} is {partner.Status}");
        }

        if (!partner.Agreements.Any(a => a.Kind == PartnerAgreementKind && a.IsValidThrough(terms.LaunchDate)))
        {
            findings.Add($"partner {partner.PartnerId} has no {PartnerAgreementKind} valid through the launch date {terms.LaunchDate:yyyy-MM-dd}");
        }

        var ownedTiers = terms.SupportPlan.EscalationPath.Where(t => t.Owner == partner.PartnerId).Select(t => t.Tier).ToList();
        foreach (var tier in ownedTiers.Where(t => !partner.Support.CanDeliver(t)))
        {
            findings.Add($"partner {partner.PartnerId} owns {tier} support but cannot deliver {tier}");
        }

        if (ownedTiers.Count > 0 && !partner.Certifications.Any(c => c.IsValidOn(terms.LaunchDate)))
        {
            findings.Add($"partner {partner.PartnerId} owns support tiers but holds no certification valid on {terms.LaunchDate:yyyy-MM-dd}");
        }

        return findings;
    }
}
