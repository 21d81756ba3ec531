using Azure.Core;
using EcosystemFlows.Azure.Storage;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EcosystemFlows.DurableTask.Hosting;

/// <summary>DI registration of the Durable Task SDK worker and client on the Durable Task Framework with Azure Storage.</summary>
public static class DurableTaskHostingExtensions
{
    /// <summary>
    /// Registers the SDK's worker (orchestrators and activities from <paramref name="registerTasks"/>) and
    /// <see cref="DurableTaskClient"/>, both on one <see cref="TaskHubService"/> configured from
    /// <c>extensions:durableTask</c> and validated at start, with <paramref name="converter"/> for every payload.
    /// </summary>
    public static IServiceCollection AddDurableTaskOnAzureStorage(
        this IServiceCollection services, Action<DurableTaskRegistry> registerTasks, DataConverter converter)
    {
        services.AddDurableTaskClientOnAzureStorage(converter);
        services.AddDurableTaskWorker(builder =>
        {
            builder.AddTasks(registerTasks);
            builder.Configure(o => o.DataConverter = converter);
            builder.UseBuildTarget<TaskHubWorkerService>();
        });
        return services;
    }

    /// <summary>
    /// Registers only the <see cref="DurableTaskClient"/> over the task hub in Azure Storage (no worker): for a process
    /// whose orchestrations run elsewhere on the same hub, such as the Functions app's hosted Service Bus processor,
    /// which has no <c>[DurableClient]</c> binding outside an invocation.
    /// </summary>
    public static IServiceCollection AddDurableTaskClientOnAzureStorage(this IServiceCollection services, DataConverter converter)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<DurableTaskHubOptions>()
            .BindConfiguration(DurableTaskHubOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => o.StorageProvider is not null, "extensions:durableTask:storageProvider is missing")
            .ValidateOnStart();
        services.TryAddSingleton(sp => TaskHubService.ForAzureStorage(
            sp.GetRequiredService<IOptions<DurableTaskHubOptions>>().Value,
            sp.GetRequiredService<IOptions<StorageOptions>>().Value,
            sp.GetRequiredService<TokenCredential>(),
            sp.GetRequiredService<ILoggerFactory>()));
        services.AddDurableTaskClient(builder =>
        {
            builder.Configure(o => o.DataConverter = converter);
            builder.UseBuildTarget<TaskHubDurableTaskClient>();
        });
        return services;
    }
}
