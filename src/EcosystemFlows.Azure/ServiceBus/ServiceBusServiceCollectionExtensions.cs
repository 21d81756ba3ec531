using System.Reflection;
using Azure.Core;
using EcosystemFlows.Azure.Configuration;
using EcosystemFlows.Azure.ServiceBus.Auth;
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
    /// Registers the shared <see cref="ServiceBusConnection"/> with its <see cref="ICbsTokenProvider"/>
    /// (SAS for a connection string, Microsoft Entra for a namespace: the registered
    /// <see cref="TokenCredential"/>, else <see cref="AzureCredentials"/>), <see cref="ServiceBusSender"/>,
    /// <see cref="IEventPublisher"/> and the hosted <see cref="ServiceBusTriggerHost"/>. The
    /// <see cref="ServiceBusOptions"/> must be bound and validated by the caller (the app does it with
    /// <c>AddValidatedOptions&lt;ServiceBusOptions&gt;</c>).
    /// </summary>
    public static IServiceCollection AddServiceBus(this IServiceCollection services)
    {
        services.AddOptions<ServiceBusOptions>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(CreateTokenProvider);
        services.TryAddSingleton<ServiceBusConnection>();
        services.TryAddSingleton<ServiceBusSender>();
        services.TryAddSingleton<IEventPublisher, CloudEventPublisher>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ServiceBusTriggerHost>());
        return services;
    }

    private static ICbsTokenProvider CreateTokenProvider(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<ServiceBusOptions>>().Value;
        if (options.UsesIdentity)
        {
            return new MicrosoftEntraTokenProvider(services.GetService<TokenCredential>() ?? AzureCredentials.Create());
        }

        // A connection string: SAS with its key (the local broker never asks for a token).
        var endpoint = options.Parsed;
        return new SharedAccessKeyTokenProvider(
            endpoint.SharedAccessKeyName ?? throw new InvalidOperationException(
                "ServiceBus:ConnectionString has no SharedAccessKeyName/SharedAccessKey; set ServiceBus:FullyQualifiedNamespace to connect with Microsoft Entra ID"),
            endpoint.SharedAccessKey!,
            options.TokenLifetime,
            services.GetRequiredService<TimeProvider>());
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
