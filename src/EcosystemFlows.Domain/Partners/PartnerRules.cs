using EcosystemFlows.Domain.Validation;

namespace EcosystemFlows.Domain.Partners;

/// <summary>Rules a partner registration must satisfy.</summary>
public static class PartnerRules
{
    /// <summary>Every broken rule of <paramref name="partner"/>, field by field.</summary>
    public static IReadOnlyList<DomainError> Validate(Partner partner)
    {
        ArgumentNullException.ThrowIfNull(partner);
        var errors = new DomainErrors();
        // A registration arrives as JSON: a collection may be explicitly null even where C# says it cannot be.
        partner = partner with
        {
            Approvers = partner.Approvers ?? [],
            Agreements = partner.Agreements ?? [],
            Certifications = partner.Certifications ?? [],
        };
        errors.RequireId(partner.PartnerId, "partnerId");
        errors.RequireText(partner.Name, "name", 2, 120);
        errors.Require(Enum.IsDefined(partner.Type), "type", "invalid-enum", $"must be one of {string.Join(", ", Enum.GetNames<PartnerType>())}");
        errors.Require(Enum.IsDefined(partner.Status), "status", "invalid-enum", $"must be one of {string.Join(", ", Enum.GetNames<PartnerStatus>())}");

        if (errors.Require(partner.Approvers.Count is >= 1 and <= 20, "approvers", "count", "must list 1-20 approver user ids"))
        {
            for (var i = 0; i < partner.Approvers.Count; i++)
            {
                errors.RequireId(partner.Approvers[i], $"approvers[{i}]");
            }

            errors.Require(partner.Approvers.Distinct(StringComparer.Ordinal).Count() == partner.Approvers.Count, "approvers", "duplicate", "must not repeat a user id");
        }

        errors.RequireId(partner.ExecutiveSponsor, "executiveSponsor");

        if (partner.Support is not { } support)
        {
            errors.Add("support", "required", "is required");
        }
        else
        {
            var tiers = support.Tiers ?? [];
            var regions = support.Regions ?? [];
            errors.Require(tiers.Count is > 0 and <= 3 && tiers.All(Enum.IsDefined), "support.tiers", "invalid", "must list at least one of L1, L2, L3");
            errors.Require(tiers.Distinct().Count() == tiers.Count, "support.tiers", "duplicate", "must not repeat a tier");
            if (errors.Require(regions.Count is >= 1 and <= 20, "support.regions", "count", "must list 1-20 regions"))
            {
                for (var i = 0; i < regions.Count; i++)
                {
                    errors.RequireText(regions[i], $"support.regions[{i}]", 2, 64);
                }
            }

            errors.Require(Enum.IsDefined(support.Hours), "support.hours", "invalid-enum", $"must be one of {string.Join(", ", Enum.GetNames<SupportHours>())}");
        }

        errors.Require(partner.Agreements.Count <= 50, "agreements", "count", "must list at most 50 agreements");
        for (var i = 0; i < partner.Agreements.Count && i < 50; i++)
        {
            var agreement = partner.Agreements[i];
            if (agreement is null)
            {
                errors.Add($"agreements[{i}]", "required", "is required");
                continue;
            }

            errors.RequireText(agreement.Kind, $"agreements[{i}].kind", 2, 64);
            errors.Require(agreement.ExpiresOn is null || agreement.ExpiresOn >= agreement.SignedOn, $"agreements[{i}].expiresOn", "before-signed", "must not be before signedOn");
        }

        errors.Require(partner.Certifications.Count <= 50, "certifications", "count", "must list at most 50 certifications");
        for (var i = 0; i < partner.Certifications.Count && i < 50; i++)
        {
            if (partner.Certifications[i] is null)
            {
                errors.Add($"certifications[{i}]", "required", "is required");
                continue;
            }

            errors.RequireText(partner.Certifications[i].Name, $"certifications[{i}].name", 2, 120);
        }

        return errors.Items;
    }
}
