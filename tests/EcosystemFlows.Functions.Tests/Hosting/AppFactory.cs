using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace EcosystemFlows.Functions.Tests.Hosting;

/// <summary>
/// Hosts the real app in memory with explicit settings (overriding any developer local.settings.json) and
/// optional service replacements. Nothing here talks to a real Azure or local service unless a test says so.
/// </summary>
internal sealed class AppFactory(
    IDictionary<string, string?>? overrides = null,
    Action<IServiceCollection>? replaceServices = null) : WebApplicationFactory<Program>
{
    public static Dictionary<string, string?> ValidSettings() => new()
    {
        ["Storage:ConnectionString"] = "UseDevelopmentStorage=true",
        ["Cosmos:AccountEndpoint"] = "http://127.0.0.1:8081/",
        ["Cosmos:AccountKey"] = "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==",
        ["Cosmos:DatabaseName"] = "ecosystemflows-tests",
        // Port 1 on loopback: nothing listens, so the AMQP probe fails fast with "connection refused".
        ["ServiceBus:ConnectionString"] = "Endpoint=amqp://127.0.0.1:1/;SharedAccessKeyName=u;SharedAccessKey=p;UseDevelopmentEmulator=true",
        ["ServiceBus:ConnectTimeout"] = "00:00:02",
        ["Auth:Audience"] = "ecosystemflows-tests",
        ["Auth:Issuer"] = "ecosystemflows-tests",
        ["Auth:DevelopmentSigningKey"] = TestSigningKey,
    };

    /// <summary>A development signing key used only by these tests.</summary>
    public const string TestSigningKey = "dGVzdHMtb25seS1zaWduaW5nLWtleS0wMTIzNDU2Nzg5YWJjZGVm";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        var settings = ValidSettings();
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        builder.ConfigureAppConfiguration(configuration => configuration.AddInMemoryCollection(settings));
        if (replaceServices is not null)
        {
            builder.ConfigureTestServices(replaceServices);
        }
    }
}
