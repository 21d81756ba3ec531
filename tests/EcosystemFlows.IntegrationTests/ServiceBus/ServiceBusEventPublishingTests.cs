using System.Text.Json;
using System.Text.Json.Serialization;
using Amqp;
using Amqp.Framing;
using EcosystemFlows.Azure.ServiceBus;
using EcosystemFlows.Azure.ServiceBus.Events;
using Microsoft.Extensions.Options;
using AmqpBroker = EcosystemFlows.IntegrationTests.Amqp.AmqpBroker;

namespace EcosystemFlows.IntegrationTests.ServiceBus;

public sealed class ServiceBusEventPublishingTests
{
    [Fact]
    public async Task PublishAsync_OfferingStarted_ArrivesAsStructuredCloudEventOnTopic()
    {
        // A private subscription: RabbitMQ binds a temporary queue to the exchange for a receiver
        // attached to /exchange/<x>/<binding key>, so this test sees only what it publishes.
        await using var broker = await AmqpBroker.ConnectAsync();
        var endpoint = AmqpBroker.Endpoint;
        var connection = await Connection.Factory.CreateAsync(new Address(endpoint.Host, endpoint.Port, endpoint.User, endpoint.Password, "/", endpoint.Scheme));
        var attached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var subscription = new ReceiverLink(new Session(connection), $"events-{Guid.NewGuid():N}",
            new Source { Address = "/exchange/offering-events/com.ecosystemflows.offering.#" }, (_, _) => attached.TrySetResult());
        subscription.SetCredit(AmqpBroker.Credit);
        await attached.Task.WaitAsync(ServiceBusTestBroker.WaitTimeout);
        var options = ServiceBusTestBroker.Options();
        await using var bus = new ServiceBusConnection(Options.Create(options));
        var publisher = new CloudEventPublisher(new ServiceBusSender(bus), Options.Create(options), TimeProvider.System);
        var eventId = $"offering-42:started:{Guid.NewGuid():N}";
        var at = new DateTimeOffset(2026, 11, 23, 7, 0, 0, TimeSpan.Zero);

        await publisher.PublishAsync(
            new EventPublication<OfferingStarted>(eventId, new CloudEventType("offering", "started"), "offering-42", new OfferingStarted("offering-42", "Joint CRM bundle"))
            {
                PartnerIds = ["partner-a", "partner-b"],
                Time = at,
            },
            TestEventsJsonContext.Default.OfferingStarted);
        var message = await AmqpBroker.ReceiveByIdAsync(subscription, eventId, ServiceBusTestBroker.WaitTimeout)
            ?? throw new Xunit.Sdk.XunitException("the event did not reach the subscription");
        subscription.Accept(message);
        await connection.CloseAsync();

        Assert.Equal("application/cloudevents+json", (string)message.Properties.ContentType);
        Assert.Equal("offering-42", message.Properties.Subject);
        Assert.True(message.Header.Durable);
        Assert.Equal("com.ecosystemflows.offering.started", message.ApplicationProperties["type"]);
        Assert.Equal(",partner-a,partner-b,", message.ApplicationProperties["partnerIds"]);
        using var json = JsonDocument.Parse(Assert.IsType<Data>(message.BodySection).Binary);
        var root = json.RootElement;
        Assert.Equal("1.0", root.GetProperty("specversion").GetString());
        Assert.Equal(eventId, root.GetProperty("id").GetString());
        Assert.Equal("/ecosystemflows/workflows", root.GetProperty("source").GetString());
        Assert.Equal("com.ecosystemflows.offering.started", root.GetProperty("type").GetString());
        Assert.Equal("offering-42", root.GetProperty("subject").GetString());
        Assert.Equal(at, root.GetProperty("time").GetDateTimeOffset());
        Assert.Equal("application/json", root.GetProperty("datacontenttype").GetString());
        Assert.Equal("Joint CRM bundle", root.GetProperty("data").GetProperty("title").GetString());
    }
}

internal sealed record OfferingStarted(string OfferingId, string Title);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(OfferingStarted))]
internal sealed partial class TestEventsJsonContext : JsonSerializerContext;
