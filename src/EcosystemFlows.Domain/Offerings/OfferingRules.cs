using EcosystemFlows.Domain.Partners;
using EcosystemFlows.Domain.Validation;

namespace EcosystemFlows.Domain.Offerings;

/// <summary>Rules the terms of a joint offering must satisfy before anyone is asked to sign.</summary>
public static class OfferingRules
{
    /// <summary>The revenue shares add up to exactly this many percent.</summary>
    public const decimal TotalRevenueSharePercent = 100m;

    /// <summary>
    /// Every broken rule of <paramref name="terms"/>. <paramref name="partners"/> holds the registered
    /// partners that are members (unknown ones are reported); <paramref name="today"/> bounds the launch date.
    /// </summary>
    public static IReadOnlyList<DomainError> Validate(OfferingTerms terms, IReadOnlyDictionary<string, Partner> partners, DateOnly today)
    {
        ArgumentNullException.ThrowIfNull(terms);
        ArgumentNullException.ThrowIfNull(partners);
        var errors = new DomainErrors();
        // Terms arrive as JSON: a collection may be explicitly null even where C# says it cannot be.
        terms = terms with
        {
            Members = terms.Members ?? [],
            Objectives = terms.Objectives ?? [],
            AdditionalGates = terms.AdditionalGates ?? [],
        };
        errors.RequireText(terms.Name, "name", 3, 120);
        errors.RequireText(terms.Description, "description", 1, 4000);
        errors.RequireId(terms.CatalogId, "catalogId");
        errors.RequireText(terms.Category, "category", 2, 64);
        errors.RequireText(terms.ValueProposition, "valueProposition", 1, 2000);
        errors.Require(terms.LaunchDate >= today, "launchDate", "in-past", $"must not be before {today:yyyy-MM-dd}");

        ValidateMembers(terms, partners, errors);
        ValidateSupportPlan(terms, partners, errors);
        ValidatePricing(terms.Pricing, errors);

        errors.Require(terms.Objectives.Count <= 20, "objectives", "count", "must list at most 20 objectives");
        for (var i = 0; i < terms.Objectives.Count; i++)
        {
            if (terms.Objectives[i] is null)
            {
                errors.Add($"objectives[{i}]", "required", "is required");
                continue;
            }

            errors.RequireText(terms.Objectives[i].Metric, $"objectives[{i}].metric", 1, 200);
            errors.RequireText(terms.Objectives[i].Target, $"objectives[{i}].target", 1, 200);
        }

        for (var i = 0; i < terms.AdditionalGates.Count; i++)
        {
            var gate = terms.AdditionalGates[i];
            if (gate is null)
            {
                errors.Add($"additionalGates[{i}]", "required", "is required");
                continue;
            }

            errors.Require(gate.Kind is GateKind.Legal or GateKind.Finance or GateKind.Security, $"additionalGates[{i}].kind", "invalid-enum", "must be Legal, Finance or Security");
            if (errors.Require(gate.Approvers is { Count: >= 1 and <= 20 }, $"additionalGates[{i}].approvers", "count", "must list 1-20 approver user ids"))
            {
                for (var j = 0; j < gate.Approvers.Count; j++)
                {
                    errors.RequireId(gate.Approvers[j], $"additionalGates[{i}].approvers[{j}]");
                }
            }
        }

        errors.Require(terms.AdditionalGates.Select(g => g?.Kind).Distinct().Count() == terms.AdditionalGates.Count, "additionalGates", "duplicate", "must not repeat a gate kind");
        return errors.Items;
    }

    private static void ValidateMembers(OfferingTerms terms, IReadOnlyDictionary<string, Partner> partners, DomainErrors errors)
    {
        if (!errors.Require(terms.Members.Count is >= 2 and <= 20, "members", "count", "a joint offering has 2-20 members"))
        {
            return;
        }

        for (var i = 0; i < terms.Members.Count; i++)
        {
            var member = terms.Members[i];
            var field = $"members[{i}]";
            if (member is null)
            {
                errors.Add(field, "required", "is required");
                continue;
            }

            if (errors.RequireId(member.PartnerId, $"{field}.partnerId"))
            {
                errors.Require(partners.ContainsKey(member.PartnerId), $"{field}.partnerId", "unknown-partner", $"partner '{member.PartnerId}' is not registered");
            }

            errors.Require(Enum.IsDefined(member.Role), $"{field}.role", "invalid-enum", $"must be one of {string.Join(", ", Enum.GetNames<MemberRole>())}");
            errors.Require(member.RevenueSharePercent is > 0m and <= TotalRevenueSharePercent, $"{field}.revenueSharePercent", "range", "must be more than 0 and at most 100");
            errors.Require(decimal.Round(member.RevenueSharePercent, 2) == member.RevenueSharePercent, $"{field}.revenueSharePercent", "precision", "must have at most 2 decimals");
            if (errors.Require(member.Responsibilities is { Count: >= 1 and <= 20 }, $"{field}.responsibilities", "count", "must state 1-20 responsibilities (who does what)"))
            {
                for (var j = 0; j < member.Responsibilities.Count; j++)
                {
                    errors.RequireText(member.Responsibilities[j], $"{field}.responsibilities[{j}]", 3, 500);
                }
            }
        }

        if (terms.Members.Any(m => m is null))
        {
            return;
        }

        errors.Require(terms.Members.Select(m => m.PartnerId).Distinct(StringComparer.Ordinal).Count() == terms.Members.Count, "members", "duplicate", "must not list a partner twice");
        errors.Require(terms.Members.Count(m => m.Role == MemberRole.Lead) == 1, "members", "lead", "must have exactly one Lead member");
        var total = terms.Members.Sum(m => m.RevenueSharePercent);
        errors.Require(total == TotalRevenueSharePercent, "members", "revenue-share-total", $"revenue shares must total exactly 100 % (they total {total} %)");
    }

    private static void ValidateSupportPlan(OfferingTerms terms, IReadOnlyDictionary<string, Partner> partners, DomainErrors errors)
    {
        // Non-nullable in C#, but terms arrive from JSON, where it can be missing.
        if (terms.SupportPlan is not { } plan)
        {
            errors.Add("supportPlan", "required", "is required");
            return;
        }

        var memberIds = terms.Members.Where(m => m?.PartnerId is not null).Select(m => m.PartnerId).ToHashSet(StringComparer.Ordinal);
        foreach (var (tier, owner) in plan.EscalationPath)
        {
            var field = $"supportPlan.{tier.ToString().ToLowerInvariant()}Owner";
            if (!errors.RequireId(owner, field) ||
                !errors.Require(memberIds.Contains(owner), field, "not-a-member", $"{tier} owner '{owner}' must be a member of the offering"))
            {
                continue;
            }

            if (partners.TryGetValue(owner, out var partner))
            {
                errors.Require(partner.Support.CanDeliver(tier), field, "not-capable", $"partner '{owner}' does not deliver {tier} support");
            }
        }
    }

    private static void ValidatePricing(Pricing? pricing, DomainErrors errors)
    {
        if (pricing is null)
        {
            errors.Add("pricing", "required", "is required");
            return;
        }

        errors.Require(pricing.ListPrice is > 0m and <= 100_000_000m, "pricing.listPrice", "range", "must be more than 0 and at most 100,000,000");
        errors.Require(decimal.Round(pricing.ListPrice, 4) == pricing.ListPrice, "pricing.listPrice", "precision", "must have at most 4 decimals");
        errors.Require(Currencies.IsIso4217(pricing.Currency), "pricing.currency", "currency", "must be an ISO 4217 currency code in upper case, e.g. EUR");
        errors.Require(Enum.IsDefined(pricing.BillingTerm), "pricing.billingTerm", "invalid-enum", $"must be one of {string.Join(", ", Enum.GetNames<BillingTerm>())}");
    }
}
