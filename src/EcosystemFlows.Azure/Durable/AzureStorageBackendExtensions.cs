using EcosystemFlows.Azure.Cosmos;
using EcosystemFlows.Durable;
using EcosystemFlows.Durable.Ports;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace EcosystemFlows.Azure.Durable;

/// <summary>Registration of the Azure backend of the durable runtime.</summary>
public static class AzureStorageBackendExtensions
{
    /// <summary>
    /// Uses <see cref="CosmosInstanceStore"/> and <see cref="StorageQueueDispatcher"/>. Needs a
    /// <c>CosmosClient</c>, <c>QueueServiceClient</c> and <c>BlobServiceClient</c> in the container (the app's
    /// <c>AddAzureDependencies()</c> registers them with short timeouts and retry). Options bind to
    /// <paramref name="sectionPath"/> (null: no configuration binding) and are validated at start; an empty
    /// database name falls back to <c>Cosmos:DatabaseName</c>. Sets <see cref="DurableTaskOptions.MaxBatchSize"/>
    /// to 100 and turns <see cref="DurableTaskOptions.DeliverActivityResultsLocally"/> and
    /// <see cref="DurableTaskOptions.PipelineSteps"/> on.
    /// </summary>
    public static DurableTaskBuilder UseAzureStorageBackend(
        this DurableTaskBuilder builder,
        string? sectionPath = DurableStorageOptions.SectionName,
        Action<DurableStorageOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Services.AddOptions<DurableStorageOptions>();
        if (sectionPath is not null)
        {
            options.BindConfiguration(sectionPath);
        }

        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.PostConfigure<IOptions<CosmosOptions>>((o, cosmos) =>
        {
            if (string.IsNullOrEmpty(o.DatabaseName))
            {
                o.DatabaseName = cosmos.Value.DatabaseName;
            }
        });
        options.ValidateDataAnnotations().ValidateOnStart();

        // Each episode costs storage round trips: apply what queued up for an instance in one (configure
        // DurableTaskOptions after this call to change it).
        builder.Services.Configure<DurableTaskOptions>(o => (o.MaxBatchSize, o.DeliverActivityResultsLocally, o.PipelineSteps) = (100, true, true));
        builder.Services.TryAddSingleton<TaskHubResources>();
        builder.Services.TryAddSingleton<CosmosInstanceStore>();
        builder.Services.TryAddSingleton<StorageQueueDispatcher>();
        builder.Services.TryAddSingleton<IInstanceStore>(sp => sp.GetRequiredService<CosmosInstanceStore>());
        builder.Services.TryAddSingleton<IMessageDispatcher>(sp => sp.GetRequiredService<StorageQueueDispatcher>());
        return builder;
    }
}
