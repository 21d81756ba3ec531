using System.Security.Cryptography;
using System.Text;

namespace EcosystemFlows.Domain.Offerings;

/// <summary>
/// Deterministic SKU codes: <c>JO-{CAT}-{8 base32 chars}</c>, the hash over catalog and offering id, so a
/// retried SKU activity proposes the same code. If the catalog already holds that code for another
/// offering (a hash collision), attempt n appends <c>-n</c>: still deterministic, still unique per catalog.
/// </summary>
public static class SkuCode
{
    private const string Base32 = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

    /// <summary>The code for <paramref name="offeringId"/> in <paramref name="catalogId"/>; attempt starts at 1.</summary>
    public static string Create(string catalogId, string category, string offeringId, int attempt = 1)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(catalogId);
        ArgumentNullException.ThrowIfNull(category);
        ArgumentException.ThrowIfNullOrWhiteSpace(offeringId);
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 1);

        var prefix = new string([.. category.Where(char.IsAsciiLetterOrDigit).Select(char.ToUpperInvariant).Take(3)]).PadRight(3, 'X');
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{catalogId}\n{offeringId}"));
        var body = new StringBuilder(8);
        for (var i = 0; i < 8; i++)
        {
            // 5 bits per character from consecutive bytes; 8 characters use 40 bits of the hash.
            var bitIndex = i * 5;
            var value = ((hash[bitIndex / 8] << 8) | hash[(bitIndex / 8) + 1]) >> (11 - (bitIndex % 8)) & 0x1F;
            body.Append(Base32[value]);
        }

        return attempt == 1 ? $"JO-{prefix}-{body}" : $"JO-{prefix}-{body}-{attempt}";
    }
}
