using System.Diagnostics;
using System.Globalization;

namespace EcosystemFlows.Bench;

/// <summary>What every benchmark records about its run: the repository, the commit measured and the machine.</summary>
internal static class BenchRun
{
    public static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "EcosystemFlows.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? Directory.GetCurrentDirectory();
    }

    /// <summary>The commit measured, "-dirty" when src/, bench/, eng/emulators/ or host.json differ from it (bench/results excluded).</summary>
    public static string Commit(string root)
    {
        try
        {
            var head = Git(root, "rev-parse", "--short", "HEAD").Trim();
            var dirty = Git(root, "status", "--porcelain", "--", "src", "bench", "eng/emulators", "host.json", ":!bench/results").Length > 0;
            return head.Length == 0 ? "unknown" : dirty ? $"{head}-dirty" : head;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "unknown";
        }
    }

    private static string Git(string root, params string[] arguments)
    {
        using var git = Process.Start(new ProcessStartInfo("git", arguments) { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = git.StandardOutput.ReadToEnd();
        git.WaitForExit();
        return git.ExitCode == 0 ? output : "";
    }

    public static string CpuModel()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo").FirstOrDefault(line => line.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}

/// <summary>Command-line options: <c>--name value</c> pairs and bare <c>--flag</c>s.</summary>
internal sealed class Arguments(Dictionary<string, string> values, HashSet<string> flags)
{
    public static Arguments Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var flags = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i].TrimStart('-');
            if (i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                values[name] = args[++i];
            }
            else
            {
                flags.Add(name);
            }
        }

        return new Arguments(values, flags);
    }

    public bool Flag(string name) => flags.Contains(name);

    public int Int(string name, int fallback) =>
        values.TryGetValue(name, out var text) ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

    public string Text(string name, string fallback) => values.TryGetValue(name, out var text) ? text : fallback;
}
