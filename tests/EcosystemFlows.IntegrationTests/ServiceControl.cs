using System.Diagnostics;

namespace EcosystemFlows.IntegrationTests;

/// <summary>Stops and starts a local service through the project's own script, as a developer would.</summary>
internal static class ServiceControl
{
    public static async Task RestartAsync(string service)
    {
        await RunAsync("stop", service);
        await RunAsync("start", service);
    }

    /// <summary>Starts <paramref name="service"/> (after a crash the pid file names a dead process; the script starts it again).</summary>
    public static Task StartAsync(string service) => RunAsync("start", service);

    private static async Task RunAsync(string action, string service)
    {
        var script = Path.Combine(LocalServices.RepositoryRoot, "eng", "services.sh");
        using var process = Process.Start(new ProcessStartInfo(script, [action, service])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = LocalServices.RepositoryRoot,
        }) ?? throw new InvalidOperationException($"could not start {script}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"eng/services.sh {action} {service} exited with {process.ExitCode}:\n{await stdout}\n{await stderr}");
        }
    }
}

/// <summary>
/// Tests that stop and start a local service run in this collection, alone (after every parallel test
/// has finished), so no other test loses its service mid-call.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ServiceRestartsCollection
{
    public const string Name = "ServiceRestarts";
}

/// <summary>
/// Tests that send commands to the app's queue <c>offering-commands</c> run alone: every app process a test starts
/// listens on that one queue, and an app of a test running in parallel would take the command and dead-letter it
/// (its task hub has no such offering).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class OfferingCommandsCollection
{
    public const string Name = "OfferingCommands";
}
