using EcosystemFlows.Durable.Client;
using EcosystemFlows.Durable.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace EcosystemFlows.Durable;

/// <summary>Returned by <see cref="DurableTaskServiceCollectionExtensions.AddDurableTask"/> to choose a backend.</summary>
/// <param name="Services">The service collection.</param>
public sealed record DurableTaskBuilder(IServiceCollection Services);

/// <summary>DI registration of the durable runtime.</summary>
public static class DurableTaskServiceCollectionExtensions
{
    /// <summary>
    /// Registers the runtime: orchestrators and activities (by type), <see cref="DurableTaskClient"/>, the
    /// <see cref="DataConverter"/> (JSON unless one is already registered), <see cref="TimeProvider"/>
    /// (system clock unless one is already registered), validated <see cref="DurableTaskOptions"/>, and the
    /// <see cref="DurableWorker"/> as a hosted service. Choose a backend on the returned builder
    /// (e.g. <c>UseInMemoryBackend()</c>).
    /// </summary>
    public static DurableTaskBuilder AddDurableTask(this IServiceCollection services, Action<DurableTaskRegistry> registerTasks)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(registerTasks);
        var registry = new DurableTaskRegistry();
        registerTasks(registry);
        services.AddSingleton(registry);
        services.AddOptions<DurableTaskOptions>().ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<DataConverter>(JsonDataConverter.Default);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<DurableTaskClient, StoreDurableTaskClient>();
        services.AddHostedService<DurableWorker>();
        return new DurableTaskBuilder(services);
    }

    /// <summary>
    /// Binds <see cref="DurableTaskOptions"/> to a configuration section, e.g. <c>extensions:durableTask</c>
    /// when host.json is loaded into configuration (its <c>defaultVersion</c> becomes
    /// <see cref="DurableTaskOptions.DefaultVersion"/>). Invalid values fail at start.
    /// </summary>
    public static DurableTaskBuilder BindConfiguration(this DurableTaskBuilder builder, string sectionPath)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<DurableTaskOptions>().BindConfiguration(sectionPath);
        return builder;
    }
}
