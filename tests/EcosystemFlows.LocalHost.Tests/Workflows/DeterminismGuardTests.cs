using System.Text.RegularExpressions;

namespace EcosystemFlows.LocalHost.Tests.Workflows;

/// <summary>
/// Guards orchestrator code (<c>*.Orchestration.cs</c>) against the non-deterministic calls the Durable Task SDK's
/// analyzers do not report. They already fail the build on DateTime, Guid.NewGuid, Task.Delay, threads and tasks,
/// I/O, environment variables and loggers (DURABLE0001-0011); this covers randomness and clocks outside the context,
/// leaving the orchestration's scheduler (<c>ConfigureAwait(false)</c>) and <c>CancelAsync</c>, whose callbacks run
/// on the thread pool.
/// </summary>
public sealed partial class DeterminismGuardTests
{
    private static readonly (string Rule, Regex Pattern)[] Rules =
    [
        ("Random/Stopwatch/TimeProvider: non-deterministic; use context.CurrentUtcDateTime or an activity", Randomness()),
        ("ConfigureAwait(false): leaves the orchestration scheduler", ConfigureAwaitFalse()),
        ("CancelAsync: runs callbacks off the orchestration thread; use Cancel()", CancelAsync()),
    ];

    [Fact]
    public void OrchestrationFiles_InRepository_UseNoNonDeterministicApis()
    {
        var root = RepositoryRoot();
        var files = new[] { "src", "tests" }
            .Select(folder => Path.Combine(root, folder))
            .SelectMany(folder => Directory.EnumerateFiles(folder, "*.Orchestration.cs", SearchOption.AllDirectories))
            .Where(file => !file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToList();

        var violations = files.SelectMany(file => FindViolations(File.ReadAllText(file)).Select(v => $"{Path.GetRelativePath(root, file)}:{v}")).ToList();

        Assert.NotEmpty(files);
        Assert.True(violations.Count == 0, "Non-deterministic calls in orchestrator files:\n" + string.Join("\n", violations));
    }

    [Theory]
    [InlineData("var r = new Random().Next();", "Random")]
    [InlineData("var r = Random.Shared.Next();", "Random")]
    [InlineData("var watch = Stopwatch.StartNew();", "Stopwatch")]
    [InlineData("var now = TimeProvider.System.GetUtcNow();", "TimeProvider")]
    [InlineData("await context.CallActivityAsync(\"A\").ConfigureAwait(false);", "ConfigureAwait")]
    [InlineData("await cts.CancelAsync();", "CancelAsync")]
    public void FindViolations_BadSample_ReportsRule(string statement, string expectedRule)
    {
        var source = $$"""
            namespace Sample;

            public sealed class BadOrchestrator : TaskOrchestrator<string, string>
            {
                public override async Task<string> RunAsync(TaskOrchestrationContext context, string input)
                {
                    {{statement}}
                    return input;
                }
            }
            """;

        var violation = Assert.Single(FindViolations(source));

        Assert.StartsWith("7: ", violation, StringComparison.Ordinal);
        Assert.Contains(expectedRule, violation, StringComparison.Ordinal);
    }

    [Fact]
    public void FindViolations_ForbiddenNamesOnlyInCommentsAndStrings_ReportsNothing()
    {
        const string source = """
            // Never new Random() or Stopwatch here.
            /* ConfigureAwait(false) is banned too. */
            var message = "TimeProvider and CancelAsync() are fine inside a string";
            var when = context.CurrentUtcDateTime;
            """;

        Assert.Empty(FindViolations(source));
    }

    internal static IReadOnlyList<string> FindViolations(string source)
    {
        var lines = CommentsAndStrings().Replace(source, m => Regex.Replace(m.Value, "[^\n]", " ")).Split('\n');
        var violations = new List<string>();
        for (var i = 0; i < lines.Length; i++)
        {
            violations.AddRange(Rules.Where(r => r.Pattern.IsMatch(lines[i])).Select(r => $"{i + 1}: {r.Rule}"));
        }

        return violations;
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "EcosystemFlows.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new DirectoryNotFoundException("repository root (EcosystemFlows.sln)");
    }

    // Comments and string literals, blanked out (line breaks kept) before matching.
    [GeneratedRegex(@"//[^\n]*|/\*.*?\*/|@""(?:[^""]|"""")*""|""""""[\s\S]*?""""""|""(?:\\.|[^""\\\n])*""|'(?:\\.|[^'\\\n])'", RegexOptions.Singleline)]
    private static partial Regex CommentsAndStrings();

    [GeneratedRegex(@"\bnew\s+Random\b|\bRandom\s*\.\s*Shared\b|\bRandomNumberGenerator\b|\bStopwatch\b|\bTimeProvider\b")]
    private static partial Regex Randomness();

    [GeneratedRegex(@"\.ConfigureAwait\s*\(\s*false\s*\)")]
    private static partial Regex ConfigureAwaitFalse();

    [GeneratedRegex(@"\.CancelAsync\s*\(")]
    private static partial Regex CancelAsync();
}
