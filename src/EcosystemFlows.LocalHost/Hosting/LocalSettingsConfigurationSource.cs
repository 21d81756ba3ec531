using System.Text.Json;

namespace EcosystemFlows.LocalHost.Hosting;

/// <summary>
/// Reads the <c>Values</c> of a Functions-style <c>local.settings.json</c> (as Core Tools does), mapping
/// <c>Section__Key</c> names to <c>Section:Key</c>. The file is optional (git-ignored, developer-owned); a
/// malformed one stops the app with a message naming the file, never silently.
/// </summary>
internal sealed class LocalSettingsConfigurationSource(string path) : IConfigurationSource
{
    public const string FileName = "local.settings.json";

    public string Path { get; } = path;

    public IConfigurationProvider Build(IConfigurationBuilder builder) => new Provider(Path);

    /// <summary>
    /// The nearest <c>local.settings.json</c> at or above <paramref name="startDirectory"/> (the app may be
    /// started from the repository root, the project folder or its build output), or null.
    /// </summary>
    public static string? Find(string startDirectory)
    {
        for (var dir = new DirectoryInfo(startDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, FileName);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private sealed class Provider(string path) : ConfigurationProvider
    {
        public override void Load()
        {
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions
                {
                    CommentHandling = JsonCommentHandling.Skip,
                    AllowTrailingCommas = true,
                });
            }
            catch (JsonException ex)
            {
                throw new InvalidOperationException($"{path} is not valid JSON: {ex.Message}", ex);
            }

            using (document)
            {
                if (!document.RootElement.TryGetProperty("Values", out var values) || values.ValueKind != JsonValueKind.Object)
                {
                    throw new InvalidOperationException($"{path} has no \"Values\" object (expected the local.settings.json shape of local.settings.sample.json).");
                }

                var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
                foreach (var setting in values.EnumerateObject())
                {
                    data[setting.Name.Replace("__", ConfigurationPath.KeyDelimiter, StringComparison.Ordinal)] =
                        setting.Value.ValueKind == JsonValueKind.String ? setting.Value.GetString() : setting.Value.GetRawText();
                }

                Data = data;
            }
        }
    }
}
