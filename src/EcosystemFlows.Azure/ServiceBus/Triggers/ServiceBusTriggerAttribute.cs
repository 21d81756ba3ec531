namespace EcosystemFlows.Azure.ServiceBus.Triggers;

/// <summary>
/// Declares the queue, or topic subscription, a handler listens to, as Azure Functions'
/// <c>[ServiceBusTrigger]</c> does. Register the handler with
/// <see cref="ServiceBusServiceCollectionExtensions.AddServiceBusTrigger{THandler}(Microsoft.Extensions.DependencyInjection.IServiceCollection)"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
public sealed class ServiceBusTriggerAttribute : Attribute
{
    /// <summary>Listens to queue <paramref name="queueName"/>.</summary>
    public ServiceBusTriggerAttribute(string queueName) => Entity = ServiceBusEntity.Queue(queueName);

    /// <summary>Listens to subscription <paramref name="subscriptionName"/> of topic <paramref name="topicName"/>.</summary>
    public ServiceBusTriggerAttribute(string topicName, string subscriptionName) =>
        Entity = ServiceBusEntity.TopicSubscription(topicName, subscriptionName);

    /// <summary>The entity listened to.</summary>
    public ServiceBusEntity Entity { get; }
}
