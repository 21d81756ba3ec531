using EcosystemFlows.Azure.Cosmos;
using EcosystemFlows.Azure.Durable;
using EcosystemFlows.Durable;
using EcosystemFlows.Durable.Ports;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace EcosystemFlows.IntegrationTests.Durable;

public sealed class AzureStorageBackendRegistrationTests
{
    [Fact]
    public void UseAzureStorageBackend_BoundSettings_ResolvesAdaptersWithCosmosDatabaseFallback()
    {
        using var provider = Build(new Dictionary<string, string?> { ["DurableStorage:TaskHubName"] = "hubone", ["DurableStorage:ControlQueueCount"] = "2" });

        var hub = provider.GetRequiredService<TaskHubResources>();

        Assert.IsType<CosmosInstanceStore>(provider.GetRequiredService<IInstanceStore>());
        Assert.IsType<StorageQueueDispatcher>(provider.GetRequiredService<IMessageDispatcher>());
        Assert.Equal("appdb", hub.Options.DatabaseName);
        Assert.Equal(["hubone-control-00", "hubone-control-01"], hub.ControlQueues.Select(q => q.Name));
        Assert.Equal("hubone-workitems", hub.WorkItems.Name);
        Assert.Equal(100, provider.GetRequiredService<IOptions<DurableTaskOptions>>().Value.MaxBatchSize);
    }

    [Theory]
    [InlineData("DurableStorage:TaskHubName", "Bad_Name")]
    [InlineData("DurableStorage:ControlQueueCount", "0")]
    [InlineData("DurableStorage:MaxInlineMessageBytes", "100000")]
    public void UseAzureStorageBackend_InvalidSetting_FailsValidationNamingIt(string key, string value)
    {
        using var provider = Build(new Dictionary<string, string?> { [key] = value });

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<DurableStorageOptions>>().Value);

        Assert.Contains(key.Split(':')[1], error.Message, StringComparison.Ordinal);
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddLogging();
        DurableBackendHost.AddAzureClients(services);
        services.AddSingleton(Options.Create(new CosmosOptions { AccountEndpoint = LocalServices.CosmosEndpoint, AccountKey = LocalServices.CosmosKey, DatabaseName = "appdb" }));
        services.AddDurableTask(_ => { }).UseAzureStorageBackend();
        return services.BuildServiceProvider();
    }
}
