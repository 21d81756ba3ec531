using System.Security.Cryptography;
using System.Text;

namespace EcosystemFlows.ServiceBusEmulator.Protocol;

/// <summary>Checks Service Bus SAS tokens (<c>SharedAccessSignature sr=…&amp;sig=…&amp;se=…&amp;skn=…</c>) against the configured key.</summary>
internal sealed class Sas(string keyName, string key, TimeProvider clock)
{
    /// <summary>The resource the token grants (its <c>sr</c>), or an error saying why it is refused.</summary>
    public (string? Resource, string? Error) Validate(string token)
    {
        const string prefix = "SharedAccessSignature ";
        if (!token.StartsWith(prefix, StringComparison.Ordinal))
        {
            return (null, "not a SharedAccessSignature token");
        }

        var fields = token[prefix.Length..].Split('&')
            .Select(pair => pair.Split('=', 2))
            .Where(pair => pair.Length == 2)
            .ToDictionary(pair => pair[0], pair => pair[1], StringComparer.OrdinalIgnoreCase);
        if (!fields.TryGetValue("sr", out var resource) || !fields.TryGetValue("sig", out var signature)
            || !fields.TryGetValue("se", out var expiry) || !fields.TryGetValue("skn", out var name))
        {
            return (null, "the token lacks sr, sig, se or skn");
        }

        if (!string.Equals(Uri.UnescapeDataString(name), keyName, StringComparison.Ordinal))
        {
            return (null, $"unknown SharedAccessKeyName '{Uri.UnescapeDataString(name)}'");
        }

        if (!long.TryParse(expiry, out var seconds) || DateTimeOffset.FromUnixTimeSeconds(seconds) <= clock.GetUtcNow())
        {
            return (null, "the token has expired");
        }

        using var hmac = new HMACSHA256(Encoding.UTF8.GetBytes(key));
        var expected = hmac.ComputeHash(Encoding.UTF8.GetBytes(resource + "\n" + expiry));
        byte[] actual;
        try
        {
            actual = Convert.FromBase64String(Uri.UnescapeDataString(signature));
        }
        catch (FormatException)
        {
            return (null, "the signature is not base64");
        }

        return CryptographicOperations.FixedTimeEquals(expected, actual)
            ? (Uri.UnescapeDataString(resource), null)
            : (null, "the signature does not match the key");
    }
}
