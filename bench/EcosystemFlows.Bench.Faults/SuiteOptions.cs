using System.Globalization;

namespace EcosystemFlows.Bench.Faults;

/// <summary>Command line of the suite (<c>--name value</c>); eng/faults.sh passes the CI or the large profile.</summary>
internal sealed record SuiteOptions(
    string Mode, int Offerings, int Baseline, int Seed, int AppKills, bool ServiceKills, bool Duplicate, int Concurrency,
    TimeSpan StageBound, TimeSpan StuckBound, TimeSpan VisibilityTimeout, string Out, string Commit, string Root, string Run)
{
    public static SuiteOptions Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            values[args[i].TrimStart('-')] = args[i + 1];
        }

        int Int(string name, int fallback) => values.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        bool Bool(string name, bool fallback) => values.TryGetValue(name, out var v) ? bool.Parse(v) : fallback;
        var seed = Int("seed", 8);
        var stuckBound = TimeSpan.FromSeconds(Int("stuck-bound-s", 60));
        var visibility = TimeSpan.FromSeconds(Int("visibility-s", 15));

        // Messages a killed app held come back only after the visibility timeout: until then an offering waits
        // on them, which is slow, not stuck.
        if (stuckBound <= visibility)
        {
            throw new ArgumentException($"--stuck-bound-s ({stuckBound.TotalSeconds} s) must exceed --visibility-s ({visibility.TotalSeconds} s)");
        }

        return new SuiteOptions(
            values.GetValueOrDefault("mode", "ci"),
            Int("offerings", 1000),
            Int("baseline", 100),
            seed,
            Int("app-kills", 20),
            Bool("service-kills", true),
            Bool("duplicate", true),
            Int("concurrency", 64),
            TimeSpan.FromSeconds(Int("stage-bound-s", 240)),
            stuckBound,
            visibility,
            values.GetValueOrDefault("out", "bench/results/faults.json"),
            values.GetValueOrDefault("commit", "unknown"),
            values.GetValueOrDefault("root", Directory.GetCurrentDirectory()),
            $"{seed}{DateTime.UtcNow:HHmmss}");
    }
}
