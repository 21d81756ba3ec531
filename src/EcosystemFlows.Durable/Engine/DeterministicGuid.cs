using System.Security.Cryptography;
using System.Text;

namespace EcosystemFlows.Durable.Engine;

/// <summary>Name-based GUIDs (RFC 4122 version 5), identical for identical names.</summary>
internal static class DeterministicGuid
{
    // RFC 4122 URL namespace: any fixed namespace works, it only has to never change.
    private static readonly Guid Namespace = new("6ba7b811-9dad-11d1-80b4-00c04fd430c8");

    public static Guid Create(string name)
    {
        Span<byte> input = stackalloc byte[16 + Encoding.UTF8.GetMaxByteCount(name.Length)];
        Namespace.TryWriteBytes(input, bigEndian: true, out _);
        var length = 16 + Encoding.UTF8.GetBytes(name, input[16..]);
        Span<byte> hash = stackalloc byte[20];
#pragma warning disable CA5350 // RFC 4122 version 5 is defined on SHA-1; this is an identifier, not a security use.
        SHA1.HashData(input[..length], hash);
#pragma warning restore CA5350
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash[..16], bigEndian: true);
    }

    /// <summary>A compact deterministic id for <paramref name="name"/>.</summary>
    public static string CreateId(string name) => Create(name).ToString("N");
}
