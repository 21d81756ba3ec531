namespace EcosystemFlows.Azure.ServiceBus;

/// <summary>
/// A Service Bus entity messages are received from: a queue, or a topic's subscription.
/// </summary>
/// <param name="Name">The queue name, or the topic name when <paramref name="Subscription"/> is set.</param>
/// <param name="Subscription">The subscription name for a topic subscription; null for a queue.</param>
public sealed record ServiceBusEntity(string Name, string? Subscription = null)
{
    /// <summary>A queue.</summary>
    public static ServiceBusEntity Queue(string name) => new(name);

    /// <summary>A subscription of a topic.</summary>
    public static ServiceBusEntity TopicSubscription(string topic, string subscription) => new(topic, subscription);

    /// <summary>True for a topic subscription.</summary>
    public bool IsSubscription => Subscription is not null;

    /// <inheritdoc />
    public override string ToString() => Subscription is null ? Name : $"{Name}/Subscriptions/{Subscription}";
}
