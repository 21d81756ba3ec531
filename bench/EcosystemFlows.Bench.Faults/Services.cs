using System.Diagnostics;
using EcosystemFlows.Tests.Shared;

namespace EcosystemFlows.Bench.Faults;

/// <summary>
/// The isolated local services eng/faults.sh started (its own ports, node name and <c>ECOFLOWS_LOCAL_DIR</c>,
/// passed down in the environment): their addresses for the app, and the kills. A kill is SIGKILL of the
/// process named in the service's pid file (Azurite: SIGTERM, see <see cref="KillAndRestartAsync"/>); the
/// restart is <c>eng/services.sh start</c> with the same environment, so the isolated instance comes back on
/// its own data (the Cosmos stand-in from its journal).
/// </summary>
internal sealed class Services(string root)
{
    public const string CosmosKey = "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==";

    public static string LocalDir => Environment.GetEnvironmentVariable("ECOFLOWS_LOCAL_DIR")
        ?? throw new InvalidOperationException("ECOFLOWS_LOCAL_DIR is not set: run the suite through eng/faults.sh, which starts isolated services");

    public static string StorageConnectionString =>
        Azurite.ConnectionString(Port("ECOFLOWS_AZURITE_BLOB_PORT"), Port("ECOFLOWS_AZURITE_QUEUE_PORT"), Port("ECOFLOWS_AZURITE_TABLE_PORT"));

    public static Uri CosmosEndpoint => new($"http://127.0.0.1:{Port("ECOFLOWS_COSMOS_PORT")}/");

    public static string ServiceBusConnectionString =>
        $"Endpoint=sb://localhost:{Port("ECOFLOWS_SERVICEBUS_PORT")};SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;";

    /// <summary>
    /// SIGKILLs <paramref name="service"/> (cosmos or servicebus), or stops Azurite with SIGTERM, waits
    /// <paramref name="downFor"/>, starts it again. Azurite keeps its metadata in memory and saves what changed
    /// every second (eng/emulators/azurite/lib/journal.js), so a SIGKILL loses writes it already acknowledged, which
    /// Azure Storage never does: SIGTERM saves them before it exits and still drops every connection at once.
    /// </summary>
    public async Task KillAndRestartAsync(string service, TimeSpan downFor, CancellationToken cancellationToken)
    {
        if (service == "azurite")
        {
            await RunAsync(["stop", service], cancellationToken);
            await Task.Delay(downFor, cancellationToken);
            await RunAsync(["start", service], cancellationToken);
            return;
        }

        var pidFile = Path.Combine(LocalDir, "run", $"{service}.pid");
        var pid = int.Parse(await File.ReadAllTextAsync(pidFile, cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
        using (var process = Process.GetProcessById(pid))
        {
            process.Kill();
            await process.WaitForExitAsync(cancellationToken);
        }

        await Task.Delay(downFor, cancellationToken);
        await RunAsync(["start", service], cancellationToken);
    }

    private async Task RunAsync(string[] arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(Path.Combine(root, "eng", "services.sh"), arguments) { RedirectStandardError = true, RedirectStandardOutput = true };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("eng/services.sh did not start");
        var output = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"eng/services.sh {string.Join(' ', arguments)} failed ({process.ExitCode}): {await output}");
        }
    }

    private static string Port(string variable) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } port ? port
            : throw new InvalidOperationException($"{variable} is not set: run the suite through eng/faults.sh");
}
