using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;

namespace EcosystemFlows.Domain.Offerings;

/// <summary>
/// SHA-256 over a canonical form of the terms: members sorted by partner id, responsibilities and
/// objectives in their given order (order is part of what was agreed), decimals in invariant form, text
/// trimmed. Equal terms give equal hashes on every machine and .NET version; the prefix names the scheme
/// so it can evolve without old sign-offs matching new hashes by accident.
/// </summary>
public static class TermsHash
{
    private const string Scheme = "v1";

    /// <summary>Computes <c>v1:&lt;hex sha-256&gt;</c> for <paramref name="terms"/>.</summary>
    public static string Compute(OfferingTerms terms)
    {
        ArgumentNullException.ThrowIfNull(terms);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("name", terms.Name.Trim());
            json.WriteString("description", terms.Description.Trim());
            json.WriteString("catalogId", terms.CatalogId);
            json.WriteString("category", terms.Category.Trim());
            json.WriteStartArray("members");
            foreach (var member in terms.Members.OrderBy(m => m.PartnerId, StringComparer.Ordinal))
            {
                json.WriteStartObject();
                json.WriteString("partnerId", member.PartnerId);
                json.WriteString("role", member.Role.ToString());
                json.WriteString("revenueSharePercent", Invariant(member.RevenueSharePercent));
                WriteStrings(json, "responsibilities", member.Responsibilities);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteString("l1", terms.SupportPlan.L1Owner);
            json.WriteString("l2", terms.SupportPlan.L2Owner);
            json.WriteString("l3", terms.SupportPlan.L3Owner);
            json.WriteString("listPrice", Invariant(terms.Pricing.ListPrice));
            json.WriteString("currency", terms.Pricing.Currency.ToUpperInvariant());
            json.WriteString("billingTerm", terms.Pricing.BillingTerm.ToString());
            json.WriteString("valueProposition", terms.ValueProposition.Trim());
            WriteStrings(json, "objectives", terms.Objectives.Select(o => $"{o.Metric.Trim()}={o.Target.Trim()}"));
            WriteStrings(json, "additionalGates", terms.AdditionalGates
                .Select(g => $"{g.Kind}:{string.Join(',', g.Approvers.Order(StringComparer.Ordinal))}")
                .Order(StringComparer.Ordinal));
            json.WriteString("launchDate", terms.LaunchDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            json.WriteEndObject();
        }

        return $"{Scheme}:{Convert.ToHexStringLower(SHA256.HashData(buffer.ToArray()))}";
    }

    // 10, 10.0 and 10.00 are the same agreement.
    private static string Invariant(decimal value) => (value / 1.000000000000000000000000000000000m).ToString(CultureInfo.InvariantCulture);

    private static void WriteStrings(Utf8JsonWriter json, string name, IEnumerable<string> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values)
        {
            json.WriteStringValue(value.Trim());
        }

        json.WriteEndArray();
    }
}
