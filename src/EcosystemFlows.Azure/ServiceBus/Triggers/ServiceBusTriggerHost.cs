using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EcosystemFlows.Azure.ServiceBus.Triggers;

/// <summary>A handler type bound to the entity it listens to.</summary>
/// <param name="HandlerType">An <see cref="IServiceBusHandler"/> registered in DI (scoped).</param>
/// <param name="Entity">The queue or topic subscription.</param>
public sealed record ServiceBusTriggerRegistration(Type HandlerType, ServiceBusEntity Entity);

/// <summary>
/// Starts one <see cref="ServiceBusProcessor"/> (the SDK's processor) per registered trigger when the host
/// starts, and stops them gracefully (in-flight messages settled) when it stops.
/// </summary>
public sealed class ServiceBusTriggerHost(
    IServiceScopeFactory scopes,
    IEnumerable<ServiceBusTriggerRegistration> registrations,
    global::Azure.Messaging.ServiceBus.ServiceBusClient client,
    IOptions<ServiceBusOptions> options,
    ILogger<ServiceBusTriggerHost> logger) : BackgroundService
{
    private readonly List<ServiceBusProcessor> _processors = [];

    /// <summary>The running processors (for diagnostics and tests).</summary>
    public IReadOnlyList<ServiceBusProcessor> Processors => _processors;

    /// <inheritdoc />
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var registration in registrations.Distinct())
        {
            var processor = new ServiceBusProcessor(client, registration.Entity, (message, token) => InvokeAsync(registration.HandlerType, message, token), options.Value, logger);
            _processors.Add(processor);
            await processor.StartAsync(cancellationToken).ConfigureAwait(false);
        }

        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await Task.WhenAll(_processors.Select(processor => processor.StopAsync(cancellationToken))).ConfigureAwait(false);
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.CompletedTask;

    private async Task InvokeAsync(Type handlerType, ServiceBusReceivedMessage message, CancellationToken cancellationToken)
    {
        var scope = scopes.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            var handler = (IServiceBusHandler)scope.ServiceProvider.GetRequiredService(handlerType);
            await handler.HandleAsync(message, cancellationToken).ConfigureAwait(false);
        }
    }
}
