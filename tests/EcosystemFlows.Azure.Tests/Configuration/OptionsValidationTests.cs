using EcosystemFlows.Azure.Configuration;
using EcosystemFlows.Azure.Cosmos;
using EcosystemFlows.Azure.ServiceBus;
using EcosystemFlows.Azure.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace EcosystemFlows.Azure.Tests.Configuration;

public sealed class OptionsValidationTests
{
    private static readonly Dictionary<string, string?> ValidSettings = new()
    {
        ["Storage:ConnectionString"] = "UseDevelopmentStorage=true",
        ["Cosmos:AccountEndpoint"] = "http://127.0.0.1:8081/",
        ["Cosmos:AccountKey"] = "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==",
        ["Cosmos:DatabaseName"] = "ecosystemflows",
        ["ServiceBus:ConnectionString"] = "Endpoint=sb://localhost:5672;SharedAccessKeyName=u;SharedAccessKey=p;UseDevelopmentEmulator=true;",
    };

    [Fact]
    public void Validate_AllSettingsValid_Passes()
    {
        var services = Build(ValidSettings);

        Assert.Equal("ecosystemflows", services.GetRequiredService<IOptions<CosmosOptions>>().Value.DatabaseName);
        Assert.True(services.GetRequiredService<IOptions<CosmosOptions>>().Value.IsLocalEmulator);
        Assert.False(services.GetRequiredService<IOptions<ServiceBusOptions>>().Value.UsesIdentity);
        Assert.Equal(TimeSpan.FromSeconds(10), services.GetRequiredService<IOptions<StorageOptions>>().Value.NetworkTimeout);
    }

    [Theory]
    [InlineData("Cosmos:AccountEndpoint", null, "setting 'Cosmos:AccountEndpoint' (environment variable Cosmos__AccountEndpoint): is required")]
    [InlineData("Cosmos:AccountEndpoint", "http://cosmos.example.com/", "plain http is only allowed for a loopback")]
    [InlineData("Cosmos:AccountKey", "not base64!", "setting 'Cosmos:AccountKey'")]
    [InlineData("Cosmos:AccountKey", null, "setting 'Cosmos:AccountKey' (environment variable Cosmos__AccountKey): is required for a local stand-in")]
    [InlineData("Storage:BlobServiceUri", "https://acct.blob.core.windows.net/", "set either a connection string or the service URIs, not both")]
    [InlineData("Cosmos:DatabaseName", "bad/name", "setting 'Cosmos:DatabaseName'")]
    [InlineData("Cosmos:RequestTimeout", "00:10:00", "setting 'Cosmos:RequestTimeout'")]
    [InlineData("Storage:ConnectionString", null, "setting 'Storage:ConnectionString'")]
    [InlineData("Storage:ConnectionString", "this is not a connection string", "is not a valid storage connection string")]
    [InlineData("ServiceBus:ConnectionString", "Endpoint=ftp://x", "setting 'ServiceBus:ConnectionString' (environment variable ServiceBus__ConnectionString): is malformed")]
    public void Validate_BadSetting_FailsNamingTheSetting(string key, string? value, string expected)
    {
        var settings = new Dictionary<string, string?>(ValidSettings) { [key] = value };
        var services = Build(settings);

        var ex = Assert.Throws<OptionsValidationException>(() =>
        {
            _ = services.GetRequiredService<IOptions<CosmosOptions>>().Value;
            _ = services.GetRequiredService<IOptions<StorageOptions>>().Value;
            _ = services.GetRequiredService<IOptions<ServiceBusOptions>>().Value;
        });

        Assert.Contains(ex.Failures, f => f.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_ManagedIdentitySettingsWithoutKeys_Pass()
    {
        var settings = new Dictionary<string, string?>(ValidSettings)
        {
            ["Storage:ConnectionString"] = null,
            ["Storage:BlobServiceUri"] = "https://acct.blob.core.windows.net/",
            ["Storage:QueueServiceUri"] = "https://acct.queue.core.windows.net/",
            ["Cosmos:AccountEndpoint"] = "https://acct.documents.azure.com:443/",
            ["Cosmos:AccountKey"] = null,
        };

        var services = Build(settings);

        Assert.True(services.GetRequiredService<IOptions<StorageOptions>>().Value.UsesIdentity);
        Assert.True(services.GetRequiredService<IOptions<CosmosOptions>>().Value.UsesIdentity);
    }

    [Theory]
    [InlineData("https://acct.blob.core.windows.net/", null, "setting 'Storage:ConnectionString' (environment variable Storage__ConnectionString): is required")]
    [InlineData("http://acct.blob.core.windows.net/", "https://acct.queue.core.windows.net/", "setting 'Storage:BlobServiceUri' (environment variable Storage__BlobServiceUri): must be an absolute https URI")]
    public void Validate_IncompleteManagedIdentityStorage_FailsNamingTheSetting(string? blob, string? queue, string expected)
    {
        var settings = new Dictionary<string, string?>(ValidSettings)
        {
            ["Storage:ConnectionString"] = null,
            ["Storage:BlobServiceUri"] = blob,
            ["Storage:QueueServiceUri"] = queue,
        };

        var ex = Assert.Throws<OptionsValidationException>(() => Build(settings).GetRequiredService<IOptions<StorageOptions>>().Value);

        Assert.Contains(ex.Failures, f => f.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_ServiceBusNamespaceWithoutConnectionString_PassesWithAnEntraEndpoint()
    {
        var settings = new Dictionary<string, string?>(ValidSettings)
        {
            ["ServiceBus:ConnectionString"] = null,
            ["ServiceBus:FullyQualifiedNamespace"] = "sb-ecoflows.servicebus.windows.net",
        };

        var options = Build(settings).GetRequiredService<IOptions<ServiceBusOptions>>().Value;

        Assert.True(options.UsesIdentity);
        Assert.Equal("sb-ecoflows.servicebus.windows.net", options.FullyQualifiedNamespace);
    }

    [Theory]
    [InlineData(null, null, "setting 'ServiceBus:ConnectionString' (environment variable ServiceBus__ConnectionString): is required, or set FullyQualifiedNamespace")]
    [InlineData("Endpoint=sb://localhost:5672;SharedAccessKeyName=u;SharedAccessKey=p;UseDevelopmentEmulator=true;", "sb-ecoflows.servicebus.windows.net", "not both")]
    [InlineData(null, "sb://sb-ecoflows.servicebus.windows.net/", "setting 'ServiceBus:FullyQualifiedNamespace' (environment variable ServiceBus__FullyQualifiedNamespace): must be a host name")]
    [InlineData("Endpoint=sb://sb-ecoflows.servicebus.windows.net/", null, "has no SharedAccessKeyName/SharedAccessKey; to connect with Microsoft Entra ID set FullyQualifiedNamespace")]
    public void Validate_ServiceBusConnectionStringAndNamespace_NeedExactlyOne(string? connectionString, string? fullyQualifiedNamespace, string expected)
    {
        var settings = new Dictionary<string, string?>(ValidSettings)
        {
            ["ServiceBus:ConnectionString"] = connectionString,
            ["ServiceBus:FullyQualifiedNamespace"] = fullyQualifiedNamespace,
        };

        var ex = Assert.Throws<OptionsValidationException>(() => Build(settings).GetRequiredService<IOptions<ServiceBusOptions>>().Value);

        Assert.Contains(ex.Failures, f => f.Contains(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=c2VjcmV0", null)]
    [InlineData(null, "ns.servicebus.windows.net")]
    public void Validate_DuplicateDeliveryOnAzureServiceBus_FailsAsTestSwitch(string? connectionString, string? fullyQualifiedNamespace)
    {
        var emulator = new Dictionary<string, string?>(ValidSettings) { ["ServiceBus:DuplicateDelivery"] = "true" };
        var azure = new Dictionary<string, string?>(emulator)
        {
            ["ServiceBus:ConnectionString"] = connectionString,
            ["ServiceBus:FullyQualifiedNamespace"] = fullyQualifiedNamespace,
        };

        var ex = Assert.Throws<OptionsValidationException>(() => Build(azure).GetRequiredService<IOptions<ServiceBusOptions>>().Value);

        Assert.True(Build(emulator).GetRequiredService<IOptions<ServiceBusOptions>>().Value.DuplicateDelivery);
        Assert.Contains(ex.Failures, f => f.Contains("setting 'ServiceBus:DuplicateDelivery'", StringComparison.Ordinal) && f.Contains("test switch", StringComparison.Ordinal));
    }

    private static ServiceProvider Build(IDictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddValidatedOptions<StorageOptions>(StorageOptions.SectionName);
        services.AddValidatedOptions<CosmosOptions>(CosmosOptions.SectionName);
        services.AddValidatedOptions<ServiceBusOptions>(ServiceBusOptions.SectionName);
        return services.BuildServiceProvider();
    }
}
