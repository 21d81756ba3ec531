using Azure.Core;
using Azure.Messaging.ServiceBus;

namespace EcosystemFlows.Azure.ServiceBus;

/// <summary>
/// Builds the process's one <see cref="ServiceBusClient"/>: from the connection string (the local emulator,
/// <c>UseDevelopmentEmulator=true</c>), or from <see cref="ServiceBusOptions.FullyQualifiedNamespace"/> with a
/// Microsoft Entra credential (Azure). Everything after this line is the same code locally and in Azure.
/// </summary>
public static class ServiceBusClientFactory
{
    /// <summary>Creates the client; <paramref name="credential"/> is used only with a namespace.</summary>
    public static ServiceBusClient Create(ServiceBusOptions options, TokenCredential? credential)
    {
        ArgumentNullException.ThrowIfNull(options);
        var clientOptions = new ServiceBusClientOptions
        {
            RetryOptions = new ServiceBusRetryOptions
            {
                Mode = ServiceBusRetryMode.Exponential,
                TryTimeout = options.OperationTimeout,
                MaxDelay = options.MaxReconnectDelay,
                MaxRetries = 5,
            },
        };
        return options.UsesIdentity
            ? new ServiceBusClient(options.FullyQualifiedNamespace, credential ?? throw new InvalidOperationException("a TokenCredential is required with ServiceBus:FullyQualifiedNamespace"), clientOptions)
            : new ServiceBusClient(options.ConnectionString, clientOptions);
    }
}
