using EcosystemFlows.Azure.ServiceBus.Events;
using EcosystemFlows.Azure.ServiceBus.Triggers;
using EcosystemFlows.Domain.Ports;
using EcosystemFlows.DurableTask.Hosting;
using EcosystemFlows.LocalHost.Tests.Workflows;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.DurableTask.Testing.Sidecar;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EcosystemFlows.LocalHost.Tests.Hosting;

/// <summary>
/// Hosts the real app in memory with explicit settings (overriding any developer local.settings.json) and
/// optional service replacements. The app's Durable Task worker and client run on the SDK test package's
/// in-memory orchestration service instead of the Azure Storage task hub, and the workflow's ports are
/// <see cref="Ports"/>, so nothing here talks to a real Azure or local service.
/// </summary>
internal sealed class AppFactory(
    IDictionary<string, string?>? overrides = null,
    Action<IServiceCollection>? replaceServices = null,
    string environment = "Testing") : WebApplicationFactory<Program>
{
    public static Dictionary<string, string?> ValidSettings() => new()
    {
        ["Storage:ConnectionString"] = "UseDevelopmentStorage=true",
        // Not loopback: the app must not try to create containers on a stand-in in these tests.
        ["Cosmos:AccountEndpoint"] = "https://cosmos.invalid:443/",
        ["Cosmos:AccountKey"] = "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==",
        ["Cosmos:DatabaseName"] = "ecosystemflows-tests",
        // Port 1 on loopback: nothing listens, so the AMQP probe fails fast with "connection refused".
        ["ServiceBus:ConnectionString"] = "Endpoint=sb://localhost:1;SharedAccessKeyName=u;SharedAccessKey=p;UseDevelopmentEmulator=true;",
        ["ServiceBus:OperationTimeout"] = "00:00:02",
        ["Auth:Audience"] = "ecosystemflows-tests",
        ["Auth:Issuer"] = "ecosystemflows-tests",
        ["Auth:DevelopmentSigningKey"] = TestSigningKey,
    };

    /// <summary>The workflow's ports as seen by the app under test.</summary>
    public InMemoryPorts Ports { get; } = new();

    /// <summary>A development signing key used only by these tests.</summary>
    public const string TestSigningKey = "dGVzdHMtb25seS1zaWduaW5nLWtleS0wMTIzNDU2Nzg5YWJjZGVm";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(environment);
        var settings = ValidSettings();
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        builder.ConfigureAppConfiguration(configuration => configuration.AddInMemoryCollection(settings));
        builder.ConfigureTestServices(services =>
        {
            // The app's own Durable Task worker and client, on an in-memory orchestration service instead of the
            // Azure Storage task hub.
            services.RemoveAll<TaskHubService>().AddSingleton(sp =>
                new TaskHubService(new InMemoryOrchestrationService(sp.GetRequiredService<ILoggerFactory>()), "tests", "tests"));
            services.RemoveAll<IPartnerDirectory>().AddSingleton<IPartnerDirectory>(Ports);
            services.RemoveAll<IOfferingStore>().AddSingleton<IOfferingStore>(Ports);
            services.RemoveAll<ICatalog>().AddSingleton<ICatalog>(Ports);
            services.RemoveAll<ISupportRouting>().AddSingleton<ISupportRouting>(Ports);
            services.RemoveAll<IArtifactStore>().AddSingleton<IArtifactStore>(Ports);
            services.RemoveAll<IEventPublisher>().AddSingleton<IEventPublisher>(Ports);
            // No broker here: triggers are invoked directly by the tests that need them.
            foreach (var trigger in services.Where(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(ServiceBusTriggerHost)).ToList())
            {
                services.Remove(trigger);
            }
            replaceServices?.Invoke(services);
        });
    }
}
