using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using EcosystemFlows.Api.Security;
using EcosystemFlows.Azure.Cosmos;
using EcosystemFlows.Azure.ServiceBus;
using EcosystemFlows.Azure.Storage;
using EcosystemFlows.Web;

namespace EcosystemFlows.Functions.Tests.Deployment;

/// <summary>
/// Contract tests over the compiled ARM template of infra/main.bicep (built by eng/bicep.sh with the
/// Bicep CLI): the settings infra feeds the app exist in the app's options, the data model matches
/// ARCHITECTURE §5, and keys are off everywhere the service allows it. No Azure subscription needed.
/// </summary>
public sealed class InfraContractTests : IClassFixture<InfraContractTests.CompiledTemplate>
{
    private static readonly Dictionary<string, Type> OptionSections = new()
    {
        [StorageOptions.SectionName] = typeof(StorageOptions),
        [CosmosOptions.SectionName] = typeof(CosmosOptions),
        [ServiceBusOptions.SectionName] = typeof(ServiceBusOptions),
        [AuthOptions.SectionName] = typeof(AuthOptions),
        [WebAppOptions.SectionName] = typeof(WebAppOptions),
    };

    private readonly CompiledTemplate _template;

    public InfraContractTests(CompiledTemplate template) => _template = template;

    [Fact]
    public void Outputs_SectionSettings_BindToAnOptionsProperty()
    {
        var outputs = _template.Root.GetProperty("outputs").EnumerateObject().Select(o => o.Name).ToList();

        var sectionOutputs = outputs.Where(o => o.Contains("__", StringComparison.Ordinal)).ToList();

        Assert.NotEmpty(sectionOutputs);
        Assert.All(sectionOutputs, AssertBindsToOptions);
    }

    [Fact]
    public void FunctionAppSettings_SectionSettings_BindToAnOptionsPropertyAndMatchOutputs()
    {
        var site = Assert.Single(_template.Resources("Microsoft.Web/sites"));
        var settings = site.GetProperty("properties").GetProperty("siteConfig").GetProperty("appSettings")
            .EnumerateArray().Select(s => s.GetProperty("name").GetString()!).ToList();
        var outputs = _template.Root.GetProperty("outputs").EnumerateObject().Select(o => o.Name).ToHashSet();

        var appSettings = settings.Where(s => OptionSections.ContainsKey(s.Split("__")[0])).ToList();

        Assert.NotEmpty(appSettings);
        Assert.All(appSettings, AssertBindsToOptions);
        Assert.All(appSettings, s => Assert.Contains(s, outputs));
        Assert.Contains("FUNCTIONS_WORKER_RUNTIME", settings);
        Assert.DoesNotContain(settings, s => s.Contains("ConnectionString", StringComparison.OrdinalIgnoreCase) || s.EndsWith("Key", StringComparison.Ordinal));
    }

    [Fact]
    public void FunctionAppSettings_ServiceBus_ReachedByTheAppsOwnClientOnly()
    {
        // No function binds a Service Bus trigger (the hosted SDK processor consumes in-process), so no host-side
        // trigger connection is configured; the app's client gets the namespace for its managed identity.
        var settings = AppSettings();

        Assert.DoesNotContain(settings.Keys, key => key.StartsWith("ServiceBusConnection", StringComparison.OrdinalIgnoreCase));
        Assert.Contains("ServiceBus__FullyQualifiedNamespace", settings.Keys);
    }

    [Fact]
    public void FunctionApp_RunsTheIsolatedWorkerOnDotNet10WithAnAlwaysReadyInstance()
    {
        var site = Assert.Single(_template.Resources("Microsoft.Web/sites"));
        var siteConfig = site.GetProperty("properties").GetProperty("siteConfig");

        Assert.Equal("dotnet-isolated", AppSettings()["FUNCTIONS_WORKER_RUNTIME"]);
        Assert.Equal("DOTNET-ISOLATED|10.0", siteConfig.GetProperty("linuxFxVersion").GetString());
        // The hosted Service Bus processor needs a running instance: the scale controller does not see the queue.
        Assert.Equal("[parameters('alwaysReadyInstances')]", siteConfig.GetProperty("minimumElasticInstanceCount").GetString());
        var module = _template.ModuleDeclaring("Microsoft.Web/sites");
        Assert.True(module.GetProperty("parameters").GetProperty("alwaysReadyInstances").GetProperty("minValue").GetInt32() >= 1);
    }

    [Fact]
    public void FunctionAppSettings_HostStorageAndTaskHub_AreIdentityBased()
    {
        var settings = AppSettings();

        Assert.DoesNotContain("AzureWebJobsStorage", settings.Keys);
        Assert.Equal("managedidentity", settings["AzureWebJobsStorage__credential"]);
        Assert.Contains("AzureWebJobsStorage__accountName", settings.Keys);
        Assert.Contains("AzureWebJobsStorage__clientId", settings.Keys);
    }

    private Dictionary<string, string?> AppSettings() =>
        Assert.Single(_template.Resources("Microsoft.Web/sites")).GetProperty("properties").GetProperty("siteConfig").GetProperty("appSettings")
            .EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!, s => s.GetProperty("value").GetString());

    [Fact]
    public void Cosmos_Containers_HaveArchitecturePartitionKeys()
    {
        // The containers are a copy loop over the module's `containers` variable.
        var module = _template.ModuleDeclaring("Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers");

        var keys = module.GetProperty("variables").GetProperty("containers").EnumerateArray().ToDictionary(
            c => c.GetProperty("name").GetString()!,
            c => c.GetProperty("partitionKey").GetString());

        // Durable state lives in the task hub (Azure Storage), not in Cosmos DB: no instances container.
        Assert.Equal(
            new Dictionary<string, string?> { ["offerings"] = "/offeringId", ["partners"] = "/partnerId", ["catalog"] = "/catalogId" },
            keys);
    }

    [Fact]
    public void DataServices_LocalAuth_IsDisabled()
    {
        var storage = Assert.Single(_template.Resources("Microsoft.Storage/storageAccounts"));
        var cosmos = Assert.Single(_template.Resources("Microsoft.DocumentDB/databaseAccounts"));
        var serviceBus = Assert.Single(_template.Resources("Microsoft.ServiceBus/namespaces"));

        Assert.False(storage.GetProperty("properties").GetProperty("allowSharedKeyAccess").GetBoolean());
        Assert.True(cosmos.GetProperty("properties").GetProperty("disableLocalAuth").GetBoolean());
        Assert.True(serviceBus.GetProperty("properties").GetProperty("disableLocalAuth").GetBoolean());
    }

    [Fact]
    public void ServiceBus_Entities_MatchTheLocalDefinitions()
    {
        var queue = Assert.Single(_template.Resources("Microsoft.ServiceBus/namespaces/queues"));
        var topic = Assert.Single(_template.Resources("Microsoft.ServiceBus/namespaces/topics"));
        var local = JsonDocument.Parse(File.ReadAllText(Path.Combine(CompiledTemplate.RepositoryRoot, "eng", "emulators", "servicebus", "Config.json")))
            .RootElement.GetProperty("UserConfig").GetProperty("Namespaces")[0];

        Assert.Contains("'offering-commands'", queue.GetProperty("name").GetString(), StringComparison.Ordinal);
        Assert.True(queue.GetProperty("properties").GetProperty("maxDeliveryCount").GetInt32() > 1);
        Assert.True(queue.GetProperty("properties").GetProperty("deadLetteringOnMessageExpiration").GetBoolean());
        Assert.Contains("'offering-events'", topic.GetProperty("name").GetString(), StringComparison.Ordinal);
        var localQueue = Assert.Single(local.GetProperty("Queues").EnumerateArray(), q => q.GetProperty("Name").GetString() == "offering-commands");
        Assert.Contains(local.GetProperty("Topics").EnumerateArray(), t => t.GetProperty("Name").GetString() == "offering-events");

        // One max delivery count and lock duration: Azure's, the local emulator's and the app's own.
        var maxDeliveryCount = queue.GetProperty("properties").GetProperty("maxDeliveryCount").GetInt32();
        Assert.Equal(maxDeliveryCount, localQueue.GetProperty("Properties").GetProperty("MaxDeliveryCount").GetInt32());
        Assert.Equal(maxDeliveryCount, new EcosystemFlows.Azure.ServiceBus.ServiceBusOptions().MaxDeliveryCount);
        Assert.Equal(queue.GetProperty("properties").GetProperty("lockDuration").GetString(), localQueue.GetProperty("Properties").GetProperty("LockDuration").GetString());
    }

    [Fact]
    public void RoleAssignments_GoToTheAppIdentity()
    {
        var assignments = _template.Resources("Microsoft.Authorization/roleAssignments").ToList();
        var cosmosAssignments = _template.Resources("Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments").ToList();

        // Storage (blob, queue, table), Service Bus and Application Insights, plus the Cosmos data role.
        Assert.True(assignments.Count >= 5, $"only {assignments.Count} role assignments");
        Assert.NotEmpty(cosmosAssignments);
    }

    private static void AssertBindsToOptions(string setting)
    {
        var parts = setting.Split("__");
        Assert.True(parts.Length == 2, $"{setting}: expected Section__Key");
        Assert.True(OptionSections.TryGetValue(parts[0], out var optionsType), $"{setting}: no options class binds section '{parts[0]}'");
        Assert.True(
            optionsType.GetProperty(parts[1], BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase) is { CanWrite: true },
            $"{setting}: {optionsType.Name} has no settable property '{parts[1]}'");
    }

    /// <summary>Compiles infra/main.bicep once per test class through the project's own script.</summary>
    public sealed class CompiledTemplate : IDisposable
    {
        private readonly JsonDocument _document;

        public CompiledTemplate()
        {
            using var process = Process.Start(new ProcessStartInfo(Path.Combine(RepositoryRoot, "eng", "bicep.sh"))
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = RepositoryRoot,
            }) ?? throw new InvalidOperationException("could not run eng/bicep.sh");
            var stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"eng/bicep.sh failed:\n{stderr}");
            }

            _document = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryRoot, ".local", "bicep", "main.json")));
        }

        public static string RepositoryRoot
        {
            get
            {
                var dir = new DirectoryInfo(AppContext.BaseDirectory);
                while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "EcosystemFlows.sln")))
                {
                    dir = dir.Parent;
                }

                return dir?.FullName ?? throw new InvalidOperationException("EcosystemFlows.sln not found");
            }
        }

        public JsonElement Root => _document.RootElement;

        /// <summary>Every resource of <paramref name="type"/>, including those inside module deployments.</summary>
        public IEnumerable<JsonElement> Resources(string type) => Walk(Root).Where(r =>
            r.TryGetProperty("type", out var t) && string.Equals(t.GetString(), type, StringComparison.OrdinalIgnoreCase));

        /// <summary>The (module) template that directly declares a resource of <paramref name="type"/>.</summary>
        public JsonElement ModuleDeclaring(string type) => Templates(Root).First(t =>
            t.TryGetProperty("resources", out var resources) && resources.EnumerateArray().Any(r =>
                string.Equals(r.GetProperty("type").GetString(), type, StringComparison.OrdinalIgnoreCase)));

        public void Dispose() => _document.Dispose();

        private static IEnumerable<JsonElement> Templates(JsonElement template) =>
            new[] { template }.Concat(Walk(template)
                .Where(r => r.TryGetProperty("properties", out var p) && p.ValueKind == JsonValueKind.Object && p.TryGetProperty("template", out _))
                .Select(r => r.GetProperty("properties").GetProperty("template")));

        private static IEnumerable<JsonElement> Walk(JsonElement template)
        {
            if (!template.TryGetProperty("resources", out var resources))
            {
                yield break;
            }

            foreach (var resource in resources.EnumerateArray())
            {
                yield return resource;
                if (resource.TryGetProperty("properties", out var properties) &&
                    properties.ValueKind == JsonValueKind.Object &&
                    properties.TryGetProperty("template", out var nested))
                {
                    foreach (var inner in Walk(nested))
                    {
                        yield return inner;
                    }
                }
            }
        }
    }
}
