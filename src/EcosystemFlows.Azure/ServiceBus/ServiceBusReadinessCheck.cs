using Azure.Messaging.ServiceBus;
using EcosystemFlows.Azure.Health;
using EcosystemFlows.Azure.ServiceBus.Triggers;

namespace EcosystemFlows.Azure.ServiceBus;

/// <summary>
/// Ready when the namespace answers a peek on the first trigger entity through the shared client: connection,
/// authorization (SAS or Microsoft Entra) and the entity's existence in one round trip, without locking anything.
/// </summary>
public sealed class ServiceBusReadinessCheck(ServiceBusClient client, IEnumerable<ServiceBusTriggerRegistration> registrations, Microsoft.Extensions.Options.IOptions<ServiceBusOptions> options)
    : DependencyReadinessCheck("Service Bus", client.FullyQualifiedNamespace)
{
    /// <inheritdoc />
    protected override async Task ProbeAsync(CancellationToken cancellationToken)
    {
        if (registrations.FirstOrDefault() is not { } registration)
        {
            return;
        }

        var entity = registration.Entity;
        var receiver = entity.Subscription is null ? client.CreateReceiver(entity.Name) : client.CreateReceiver(entity.Name, entity.Subscription);
        await using (receiver.ConfigureAwait(false))
        {
            // One attempt's worth of time: the SDK would otherwise keep retrying past the health check's own timeout.
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attempt.CancelAfter(options.Value.OperationTimeout);
            try
            {
                await receiver.PeekMessageAsync(cancellationToken: attempt.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (attempt.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"no answer from {client.FullyQualifiedNamespace} within {options.Value.OperationTimeout.TotalSeconds:0} s");
            }
        }
    }
}
