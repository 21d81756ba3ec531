using System.Text.RegularExpressions;

namespace EcosystemFlows.Durable.Tests;

/// <summary>
/// Guards the convention that orchestrators live in <c>*.Orchestration.cs</c> files and never use
/// non-deterministic or I/O APIs (durabletask-dotnet's analyzers DURABLE0001-0011 check the same family).
/// </summary>
public sealed partial class DeterminismGuardTests
{
    private static readonly (string Rule, Regex Pattern)[] Rules =
    [
        ("DateTime.Now/UtcNow/Today: use context.CurrentUtcDateTime", DateTimeNow()),
        ("DateTimeOffset.Now/UtcNow: use context.CurrentUtcDateTime", DateTimeOffsetNow()),
        ("Guid.NewGuid: use context.NewGuid()", GuidNewGuid()),
        ("Task.Delay: use context.CreateTimer", TaskDelay()),
        ("Task.Run/Task.Factory.StartNew/ThreadPool: orchestrator code is single-threaded", TaskRun()),
        ("Thread.Sleep: use context.CreateTimer", ThreadSleep()),
        ("I/O (File, Directory, HttpClient, sockets, environment): call an activity", InputOutput()),
        ("Random/Stopwatch/TimeProvider: non-deterministic", Randomness()),
        ("ConfigureAwait(false): leaves the orchestration scheduler", ConfigureAwaitFalse()),
        ("CancelAsync: runs callbacks off the orchestration thread; use Cancel()", CancelAsync()),
    ];

    [Fact]
    public void OrchestrationFiles_InRepository_UseNoNonDeterministicApis()
    {
        var root = RepositoryRoot();
        var files = new[] { "src", "tests" }
            .Select(folder => Path.Combine(root, folder))
            .Where(Directory.Exists)
            .SelectMany(folder => Directory.EnumerateFiles(folder, "*.Orchestration.cs", SearchOption.AllDirectories))
            .Where(file => !file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToList();

        var violations = files.SelectMany(file => FindViolations(File.ReadAllText(file)).Select(v => $"{Path.GetRelativePath(root, file)}:{v}")).ToList();

        Assert.NotEmpty(files);
        Assert.True(violations.Count == 0, "Non-deterministic calls in orchestrator files:\n" + string.Join("\n", violations));
    }

    [Theory]
    [InlineData("var now = DateTime.UtcNow;", "DateTime.Now")]
    [InlineData("var now = System.DateTime.Now;", "DateTime.Now")]
    [InlineData("var now = DateTimeOffset.UtcNow;", "DateTimeOffset")]
    [InlineData("var id = Guid.NewGuid();", "Guid.NewGuid")]
    [InlineData("await Task.Delay(1000);", "Task.Delay")]
    [InlineData("await Task.Run(() => 1);", "Task.Run")]
    [InlineData("Thread.Sleep(5);", "Thread.Sleep")]
    [InlineData("var text = await File.ReadAllTextAsync(path);", "I/O")]
    [InlineData("using var http = new HttpClient();", "I/O")]
    [InlineData("var r = new Random().Next();", "Random")]
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
            // Never call DateTime.UtcNow or Task.Delay here.
            /* Guid.NewGuid() is banned too. */
            var message = "File.ReadAllText and Thread.Sleep are fine inside a string";
            var when = context.CurrentUtcDateTime;
            """;

        Assert.Empty(FindViolations(source));
    }

    internal static IReadOnlyList<string> FindViolations(string source)
    {
        var code = Neutralise(source);
        var lines = code.Split('\n');
        var violations = new List<string>();
        for (var i = 0; i < lines.Length; i++)
        {
            violations.AddRange(Rules.Where(r => r.Pattern.IsMatch(lines[i])).Select(r => $"{i + 1}: {r.Rule}"));
        }

        return violations;
    }

    // Blanks out comments and string literals but keeps line breaks, so line numbers still match.
    private static string Neutralise(string source) =>
        CommentsAndStrings().Replace(source, m => Regex.Replace(m.Value, "[^\n]", " "));

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "EcosystemFlows.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new DirectoryNotFoundException("repository root (EcosystemFlows.sln)");
    }

    [GeneratedRegex(@"//[^\n]*|/\*.*?\*/|@""(?:[^""]|"""")*""|""""""[\s\S]*?""""""|""(?:\\.|[^""\\\n])*""|'(?:\\.|[^'\\\n])'", RegexOptions.Singleline)]
    private static partial Regex CommentsAndStrings();

    [GeneratedRegex(@"\bDateTime\s*\.\s*(Now|UtcNow|Today)\b")]
    private static partial Regex DateTimeNow();

    [GeneratedRegex(@"\bDateTimeOffset\s*\.\s*(Now|UtcNow)\b")]
    private static partial Regex DateTimeOffsetNow();

    [GeneratedRegex(@"\bGuid\s*\.\s*NewGuid\s*\(")]
    private static partial Regex GuidNewGuid();

    [GeneratedRegex(@"\bTask\s*\.\s*Delay\s*\(")]
    private static partial Regex TaskDelay();

    [GeneratedRegex(@"\bTask\s*\.\s*(Run\s*\(|Factory\b)|\bThreadPool\s*\.|\bnew\s+Thread\s*\(")]
    private static partial Regex TaskRun();

    [GeneratedRegex(@"\bThread\s*\.\s*Sleep\s*\(")]
    private static partial Regex ThreadSleep();

    [GeneratedRegex(@"\b(File|Directory|Console|Environment|Process|Dns)\s*\.|\b(HttpClient|WebRequest|Socket|TcpClient|FileStream|StreamReader|StreamWriter|SqlConnection)\b")]
    private static partial Regex InputOutput();

    [GeneratedRegex(@"\bnew\s+Random\b|\bRandom\s*\.\s*Shared\b|\bRandomNumberGenerator\b|\bStopwatch\b|\bTimeProvider\b")]
    private static partial Regex Randomness();

    [GeneratedRegex(@"\.ConfigureAwait\s*\(\s*false\s*\)")]
    private static partial Regex ConfigureAwaitFalse();

    [GeneratedRegex(@"\.CancelAsync\s*\(")]
    private static partial Regex CancelAsync();
}
