using System.Collections.Frozen;
using System.Reflection;
using System.Security.Cryptography;

namespace EcosystemFlows.Web;

/// <summary>One file of the web app: its bytes, media type and strong ETag.</summary>
public sealed record WebAsset(string Name, ReadOnlyMemory<byte> Content, string ContentType, string ETag);

/// <summary>
/// The web app's files, read once from this assembly's resources. Transport-neutral, so any host (the ASP.NET Core
/// local host here, a Functions HTTP trigger) can serve them the same way.
/// </summary>
public static class WebAssets
{
    private const string ResourcePrefix = "webapp.";

    private static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
        [".json"] = "application/json",
        [".png"] = "image/png",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private static readonly Lazy<FrozenDictionary<string, WebAsset>> All = new(Load);

    /// <summary>The page every client-side route starts from.</summary>
    public const string IndexName = "index.html";

    /// <summary>The file named <paramref name="name"/> (a flat name such as <c>app.js</c>), or null.</summary>
    public static WebAsset? Find(string name) => All.Value.GetValueOrDefault(name);

    /// <summary>The names of every file, for tests and listings.</summary>
    public static IReadOnlyCollection<string> Names => All.Value.Keys;

    private static FrozenDictionary<string, WebAsset> Load()
    {
        var assembly = typeof(WebAssets).Assembly;
        var assets = new Dictionary<string, WebAsset>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            var name = resource[ResourcePrefix.Length..];
            if (!ContentTypes.TryGetValue(Path.GetExtension(name), out var contentType))
            {
                throw new InvalidOperationException($"web app file '{name}' has no known media type: add its extension to {nameof(WebAssets)}.");
            }

            var content = Read(assembly, resource);
            assets[name] = new WebAsset(name, content, contentType, $"\"{Convert.ToHexStringLower(SHA256.HashData(content))[..32]}\"");
        }

        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static byte[] Read(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }
}
