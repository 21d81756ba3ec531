using System.Reflection;
using Azure.Core;
using EcosystemFlows.Azure.Configuration;
using EcosystemFlows.Azure.ServiceBus.Events;
using EcosystemFlows.Azure.ServiceBus.Triggers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace EcosystemFlows.Azure.ServiceBus;

/// <summary>DI registration of the Service Bus client, triggers and event publisher.</summary>
public static class ServiceBusServiceCollectionExtensions
{
    /// <summary>
    /// Registers the one <see cref="global::Azure.Messaging.ServiceBus.ServiceBusClient"/> (connection string, or namespace
    /// with the registered <see cref="TokenCredential"/>, else <see cref="AzureCredentials"/>), the app's
    /// <see cref="ServiceBusSender"/>, <see cref="IEventPublisher"/> and the hosted <see cref="ServiceBusTriggerHost"/>.
    /// The <see cref="ServiceBusOptions"/> must be bound and validated by the caller (the app does it with
    /// <c>AddValidatedOptions&lt;ServiceBusOptions&gt;</c>). Disposed in reverse order: processors, senders, then the client.
    /// </summary>
    public static IServiceCollection AddServiceBus(this IServiceCollection services)
    {
        services.AddOptions<ServiceBusOptions>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<ServiceBusOptions>>().Value;
            return ServiceBusClientFactory.Create(options, options.UsesIdentity ? sp.GetService<TokenCredential>() ?? AzureCredentials.Create() : null);
        });
        services.TryAddSingleton<ServiceBusSender>();
        services.TryAddSingleton<IEventPublisher, CloudEventPublisher>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ServiceBusTriggerHost>());
        return services;
    }

    /// <summary>Registers <typeparamref name="THandler"/> on the entity its <see cref="ServiceBusTriggerAttribute"/> names.</summary>
    public static IServiceCollection AddServiceBusTrigger<THandler>(this IServiceCollection services)
        where THandler : class, IServiceBusHandler
    {
        var trigger = typeof(THandler).GetCustomAttribute<ServiceBusTriggerAttribute>()
            ?? throw new InvalidOperationException($"{typeof(THandler).Name} has no [ServiceBusTrigger]; add one or pass the entity.");
        return services.AddServiceBusTrigger<THandler>(trigger.Entity);
    }

    /// <summary>Registers <typeparamref name="THandler"/> on <paramref name="entity"/>.</summary>
    public static IServiceCollection AddServiceBusTrigger<THandler>(this IServiceCollection services, ServiceBusEntity entity)
        where THandler : class, IServiceBusHandler
    {
        services.AddServiceBus();
        services.TryAddScoped<THandler>();
        services.AddSingleton(new ServiceBusTriggerRegistration(typeof(THandler), entity));
        return services;
    }
}
