using Azure.Messaging.ServiceBus;
using EcosystemFlows.Azure.Health;
using EcosystemFlows.Azure.ServiceBus.Triggers;

namespace EcosystemFlows.Azure.ServiceBus;

/// <summary>
/// Ready when the namespace answers a peek on the first trigger entity through the shared client: connection,
/// authorization (SAS or Microsoft Entra) and the entity's existence in one round trip, without locking anything.
/// </summary>
public sealed class ServiceBusReadinessCheck(ServiceBusClient client, IEnumerable<ServiceBusTriggerRegistration> registrations)
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
            await receiver.PeekMessageAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }
}
