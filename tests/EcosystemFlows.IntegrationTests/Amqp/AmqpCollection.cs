namespace EcosystemFlows.IntegrationTests.Amqp;

/// <summary>
/// AMQP messaging tests join this collection: xunit runs a collection's tests one at a time, so tests
/// sharing the integration-tests queues never take each other's messages. The broker restart test runs
/// alone in <see cref="ServiceRestartsCollection"/>.
/// </summary>
[CollectionDefinition(Name)]
public sealed class AmqpCollection
{
    public const string Name = "Amqp";
}
