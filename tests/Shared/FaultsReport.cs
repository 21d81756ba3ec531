using System.Diagnostics;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace EcosystemFlows.Tests.Shared;

/// <summary>
/// Records security fuzz counts in <c>bench/results/faults.json</c> under the top-level key
/// <c>security</c>: read-modify-write of that key only (the fault suite owns <c>faults</c>), under an
/// exclusive file lock so two writers cannot lose each other's keys.
/// </summary>
internal static class FaultsReport
{
    public static void WriteSecurity(string name, JsonObject counts)
    {
        var path = Path.Combine(RepositoryRoot(), "bench", "results", "faults.json");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                var root = file.Length == 0 ? new JsonObject() : JsonNode.Parse(file)?.AsObject() ?? new JsonObject();
                var security = root["security"] as JsonObject ?? new JsonObject();
                security[name] = counts;
                security["measured_at"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
                security["commit"] = Commit();
                root["security"] = security;
                file.SetLength(0);
                // Relaxed escaping keeps the file readable ("+00:00", not "\u002B00:00"); it is never embedded in HTML.
                using (var writer = new Utf8JsonWriter(file, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
                {
                    root.WriteTo(writer);
                }

                file.WriteByte((byte)'\n');
                return;
            }
            catch (IOException) when (attempt < 50)
            {
                Thread.Sleep(100);
            }
        }
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "EcosystemFlows.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("EcosystemFlows.sln not found above the test output folder.");
    }

    private static string Commit()
    {
        try
        {
            using var git = Process.Start(new ProcessStartInfo("git", "rev-parse --short HEAD") { RedirectStandardOutput = true, WorkingDirectory = RepositoryRoot() })!;
            var commit = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            return git.ExitCode == 0 ? commit : "unknown";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "unknown";
        }
    }
}
