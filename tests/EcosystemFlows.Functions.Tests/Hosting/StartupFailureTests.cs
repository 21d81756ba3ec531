using System.Diagnostics;

namespace EcosystemFlows.Functions.Tests.Hosting;

/// <summary>
/// Runs the built app as a real process, the way an operator would, and checks that a bad setting stops
/// it at boot with exit code 1 and a message naming the setting.
/// </summary>
public sealed class StartupFailureTests
{
    [Fact]
    public async Task Main_MissingSetting_ExitsNamingIt()
    {
        var (exitCode, stderr) = await RunAppAsync(new() { ["Storage__ConnectionString"] = "" });

        Assert.Equal(1, exitCode);
        Assert.Contains("invalid configuration", stderr, StringComparison.Ordinal);
        Assert.Contains("setting 'Storage:ConnectionString' (environment variable Storage__ConnectionString): is required", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Main_MalformedSettings_ListsEveryOne()
    {
        var (exitCode, stderr) = await RunAppAsync(new()
        {
            ["ServiceBus__ConnectionString"] = "Endpoint=nope",
            ["Cosmos__AccountEndpoint"] = "ftp://cosmos.example.com/",
        });

        Assert.Equal(1, exitCode);
        Assert.Contains("setting 'ServiceBus:ConnectionString'", stderr, StringComparison.Ordinal);
        Assert.Contains("malformed", stderr, StringComparison.Ordinal);
        Assert.Contains("setting 'Cosmos:AccountEndpoint'", stderr, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Stderr)> RunAppAsync(Dictionary<string, string> overrides)
    {
        // The app assembly is copied next to the tests; run it with the same dotnet host.
        var appDll = Path.Combine(AppContext.BaseDirectory, "EcosystemFlows.Functions.dll");
        var workDir = Directory.CreateTempSubdirectory("ecoflows-start-");
        try
        {
            var start = new ProcessStartInfo("dotnet", ["exec", appDll])
            {
                WorkingDirectory = workDir.FullName,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var (key, value) in AppFactory.ValidSettings())
            {
                start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
            }

            foreach (var (key, value) in overrides)
            {
                start.Environment[key] = value;
            }

            start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
            using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new InvalidOperationException($"the app kept running with a bad setting:\n{await stdout}");
            }

            return (process.ExitCode, await stderr);
        }
        finally
        {
            workDir.Delete(recursive: true);
        }
    }
}
