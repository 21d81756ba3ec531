using System.Text.Json;
using System.Text.Json.Serialization;
using EcosystemFlows.Azure.ServiceBus.Events;
using Microsoft.Extensions.Options;
using ServiceBusReceivedMessage = Azure.Messaging.ServiceBus.ServiceBusReceivedMessage;
using ServiceBusSender = EcosystemFlows.Azure.ServiceBus.ServiceBusSender;

namespace EcosystemFlows.IntegrationTests.ServiceBus;

public sealed class ServiceBusEventPublishingTests
{
    [Fact]
    public async Task PublishAsync_OfferingStarted_ArrivesAsStructuredCloudEventOnTopic()
    {
        // The topic's integration-tests subscription (Config.json, no rule: every event); the test reads until its own event id.
        var options = ServiceBusTestBroker.Options();
        await using var client = ServiceBusTestBroker.Client(options);
        await using var sender = new ServiceBusSender(client);
        var publisher = new CloudEventPublisher(sender, Options.Create(options), TimeProvider.System);
        var eventId = $"offering-42:started:{Guid.NewGuid():N}";
        var at = new DateTimeOffset(2026, 11, 23, 7, 0, 0, TimeSpan.Zero);

        await publisher.PublishAsync(
            new EventPublication<OfferingStarted>(eventId, new CloudEventType("offering", "started"), "offering-42", new OfferingStarted("offering-42", "Joint CRM bundle"))
            {
                PartnerIds = ["partner-a", "partner-b"],
                Time = at,
            },
            TestEventsJsonContext.Default.OfferingStarted);
        await using var subscription = client.CreateReceiver("offering-events", "integration-tests");
        ServiceBusReceivedMessage? message = null;
        var deadline = DateTime.UtcNow + ServiceBusTestBroker.WaitTimeout;
        while (message is null && DateTime.UtcNow < deadline)
        {
            foreach (var received in await subscription.ReceiveMessagesAsync(100, TimeSpan.FromSeconds(1)))
            {
                await subscription.CompleteMessageAsync(received);
                message = received.MessageId == eventId ? received : message;
            }
        }

        Assert.NotNull(message);
        Assert.Equal("application/cloudevents+json", message.ContentType);
        Assert.Equal("offering-42", message.Subject);
        Assert.Equal("com.ecosystemflows.offering.started", message.ApplicationProperties["type"]);
        Assert.Equal(",partner-a,partner-b,", message.ApplicationProperties["partnerIds"]);
        using var json = JsonDocument.Parse(message.Body.ToMemory());
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
