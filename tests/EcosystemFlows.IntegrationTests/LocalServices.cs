using EcosystemFlows.Tests.Shared;

namespace EcosystemFlows.IntegrationTests;

/// <summary>
/// Where the local stand-ins started by <c>eng/services.sh</c> listen. Tests never skip when a service
/// is absent: the first call fails with the address it tried, so a missing service is a loud failure.
/// Environment variables of the same names as in local.settings.sample.json override the defaults.
/// </summary>
internal static class LocalServices
{
    public const string EmulatorCosmosKey =
        "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==";

    /// <summary>Azurite, on the ports eng/services.sh uses (ECOFLOWS_AZURITE_*_PORT move them for an isolated set).</summary>
    public static string StorageConnectionString => Setting(
        "Storage__ConnectionString",
        Azurite.ConnectionString(
            Setting("ECOFLOWS_AZURITE_BLOB_PORT", "10000"), Setting("ECOFLOWS_AZURITE_QUEUE_PORT", "10001"), Setting("ECOFLOWS_AZURITE_TABLE_PORT", "10002")));

    public static Uri CosmosEndpoint => new(Setting("Cosmos__AccountEndpoint", $"http://127.0.0.1:{Setting("ECOFLOWS_COSMOS_PORT", "8081")}/"));

    public static string CosmosKey => Setting("Cosmos__AccountKey", EmulatorCosmosKey);

    /// <summary>The Service Bus emulator (ECOFLOWS_SERVICEBUS_PORT moves it), in the official emulator's connection string form.</summary>
    public static string ServiceBusConnectionString => Setting(
        "ServiceBus__ConnectionString",
        $"Endpoint=sb://localhost:{Setting("ECOFLOWS_SERVICEBUS_PORT", "5672")};SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;");

    /// <summary>Where eng/services.sh keeps data, logs and pid files (ECOFLOWS_LOCAL_DIR, else .local).</summary>
    public static string LocalDirectory => Setting("ECOFLOWS_LOCAL_DIR", Path.Combine(RepositoryRoot, ".local"));

    /// <summary>The repository root, found from the test assembly's location.</summary>
    public static string RepositoryRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "EcosystemFlows.sln")))
            {
                dir = dir.Parent;
            }

            return dir?.FullName ?? throw new InvalidOperationException("EcosystemFlows.sln not found above the test output folder.");
        }
    }

    /// <summary>A name unique to one test run, for databases, containers, queues and blobs.</summary>
    public static string UniqueName(string prefix) => $"{prefix}{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 12, prefix.Length + 32)];

    private static string Setting(string name, string fallback) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : fallback;
}
