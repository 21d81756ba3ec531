using EcosystemFlows.Domain.Partners;

namespace EcosystemFlows.Domain.Offerings;

/// <summary>A sign-off the offering needs: who may give it, and for which member (if any).</summary>
/// <param name="GateId">Stable id within the offering (e.g. <c>member-contoso</c>, <c>sponsor</c>, <c>legal</c>).</param>
/// <param name="Kind">What the gate is for.</param>
/// <param name="PartnerId">The member the gate belongs to, for member approvals and the sponsor gate.</param>
/// <param name="Approvers">User ids allowed to decide it.</param>
public sealed record Gate(string GateId, GateKind Kind, string? PartnerId, IReadOnlyList<string> Approvers);

/// <summary>Derives the governance gates: "trust, but verify" — every member signs, and the lead's sponsor.</summary>
public static class Governance
{
    /// <summary>Id of the gate added when the conflict check finds competing offerings.</summary>
    public const string ConflictReviewGateId = "conflict-review";

    /// <summary>
    /// One approval gate per member (its approvers), one for the lead's executive sponsor, and one per
    /// requested legal / finance / security gate. <paramref name="partners"/> must hold every member.
    /// </summary>
    public static IReadOnlyList<Gate> GatesFor(OfferingTerms terms, IReadOnlyDictionary<string, Partner> partners)
    {
        ArgumentNullException.ThrowIfNull(terms);
        ArgumentNullException.ThrowIfNull(partners);
        var gates = terms.Members
            .Select(m => new Gate($"member-{m.PartnerId}", GateKind.MemberApproval, m.PartnerId, partners[m.PartnerId].Approvers))
            .ToList();
        var lead = partners[terms.Lead.PartnerId];
        gates.Add(new Gate("sponsor", GateKind.ExecutiveSponsor, lead.PartnerId, [lead.ExecutiveSponsor]));
        gates.AddRange(terms.AdditionalGates.Select(g => new Gate(g.Kind.ToString().ToLowerInvariant(), g.Kind, null, g.Approvers)));
        return gates;
    }

    /// <summary>The extra gate a conflict adds: the lead's executive sponsor reviews the overlap.</summary>
    public static Gate ConflictReviewGate(OfferingTerms terms, IReadOnlyDictionary<string, Partner> partners)
    {
        ArgumentNullException.ThrowIfNull(terms);
        ArgumentNullException.ThrowIfNull(partners);
        var lead = partners[terms.Lead.PartnerId];
        return new Gate(ConflictReviewGateId, GateKind.ConflictReview, lead.PartnerId, [lead.ExecutiveSponsor]);
    }
}
