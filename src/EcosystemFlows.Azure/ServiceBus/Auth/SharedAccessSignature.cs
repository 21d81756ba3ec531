using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace EcosystemFlows.Azure.ServiceBus.Auth;

/// <summary>
/// Service Bus shared access signatures:
/// <c>SharedAccessSignature sr=&lt;url-encoded resource&gt;&amp;sig=&lt;url-encoded signature&gt;&amp;se=&lt;expiry&gt;&amp;skn=&lt;key name&gt;</c>,
/// the signature being the Base64 HMAC-SHA256, keyed with the UTF-8 bytes of the key, of
/// <c>&lt;url-encoded resource&gt;\n&lt;expiry&gt;</c> (expiry in Unix seconds).
/// </summary>
public static class SharedAccessSignature
{
    /// <summary>Creates a token for <paramref name="resource"/> that expires at <paramref name="expiresAt"/>.</summary>
    public static string Create(string resource, string keyName, string key, DateTimeOffset expiresAt)
    {
        ArgumentException.ThrowIfNullOrEmpty(resource);
        ArgumentException.ThrowIfNullOrEmpty(keyName);
        ArgumentException.ThrowIfNullOrEmpty(key);
        var encodedResource = WebUtility.UrlEncode(resource);
        var expiry = expiresAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var signature = Convert.ToBase64String(
            HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes($"{encodedResource}\n{expiry}")));
        return $"SharedAccessSignature sr={encodedResource}&sig={WebUtility.UrlEncode(signature)}&se={expiry}&skn={WebUtility.UrlEncode(keyName)}";
    }
}
