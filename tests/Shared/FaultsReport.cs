using System.Diagnostics;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace EcosystemFlows.Tests.Shared;

/// <summary>
/// Records security fuzz counts under the top-level key <c>security</c> of a <c>faults.json</c>:
/// read-modify-write of that key only (the fault suite owns <c>faults</c>), under an exclusive file lock so
/// two writers cannot lose each other's keys. A test run writes <c>.local/results/faults.json</c> (or under
/// <c>ECOFLOWS_LOCAL_DIR</c>); only a run recorded on purpose, with <see cref="RecordVariable"/><c>=1</c>,
/// writes the committed <c>bench/results/faults.json</c> (bench/README.md), so running the tests never
/// changes a tracked file.
/// </summary>
internal static class FaultsReport
{
    /// <summary>Set to <c>1</c> to record a measured run into the committed results.</summary>
    public const string RecordVariable = "ECOFLOWS_RECORD_RESULTS";

    public static void WriteSecurity(string name, JsonObject counts) => WriteSecurity(ResultsPath(), name, counts);

    /// <summary>Where <see cref="WriteSecurity(string, JsonObject)"/> writes, per <see cref="RecordVariable"/>.</summary>
    public static string ResultsPath()
    {
        var root = RepositoryRoot();
        if (Environment.GetEnvironmentVariable(RecordVariable) == "1")
        {
            return Path.Combine(root, "bench", "results", "faults.json");
        }

        var local = Environment.GetEnvironmentVariable("ECOFLOWS_LOCAL_DIR") is { Length: > 0 } dir ? dir : Path.Combine(root, ".local");
        return Path.Combine(local, "results", "faults.json");
    }

    public static void WriteSecurity(string path, string name, JsonObject counts)
    {
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

    public static string RepositoryRoot()
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
