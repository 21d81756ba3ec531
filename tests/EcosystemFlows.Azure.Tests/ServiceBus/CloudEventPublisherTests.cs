using System.Text.Json;
using System.Text.Json.Serialization;
using EcosystemFlows.Azure.ServiceBus.Events;

namespace EcosystemFlows.Azure.Tests.ServiceBus;

public sealed class CloudEventPublisherTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 23, 7, 0, 0, TimeSpan.Zero);

    [Fact]
    public void CreateMessage_Publication_IsStructuredCloudEvent10()
    {
        var publication = new EventPublication<GateApproved>("evt-1", new CloudEventType("gate", "approved"), "offering-42", new GateApproved("gate-7", "legal"))
        {
            PartnerIds = ["p-1", "p-2"],
            Time = At,
        };

        var envelope = CloudEventPublisher.CreateEnvelope(publication, TestJson.Default.GateApproved, "/ecosystemflows/workflows", At.AddDays(1));
        var message = CloudEventPublisher.CreateMessage(envelope, publication.PartnerIds);
        using var json = JsonDocument.Parse(message.Body);

        Assert.Equal("application/cloudevents+json", message.ContentType);
        Assert.Equal("evt-1", message.MessageId);
        Assert.Equal("offering-42", message.Subject);
        Assert.Equal("com.ecosystemflows.gate.approved", message.ApplicationProperties["type"]);
        Assert.Equal(",p-1,p-2,", message.ApplicationProperties["partnerIds"]);
        var root = json.RootElement;
        Assert.Equal(
            ["specversion", "id", "source", "type", "subject", "time", "datacontenttype", "partnerids", "data"],
            root.EnumerateObject().Select(property => property.Name));
        Assert.Equal("1.0", root.GetProperty("specversion").GetString());
        Assert.Equal("com.ecosystemflows.gate.approved", root.GetProperty("type").GetString());
        Assert.Equal(At, root.GetProperty("time").GetDateTimeOffset());
        Assert.Equal("gate-7", root.GetProperty("data").GetProperty("gateId").GetString());
    }

    [Fact]
    public void CreateEnvelope_SameIdTwice_SameDocument()
    {
        var publication = new EventPublication<GateApproved>("evt-2", new CloudEventType("gate", "approved"), "offering-1", new GateApproved("g", "r")) { Time = At };

        var first = JsonSerializer.Serialize(CloudEventPublisher.CreateEnvelope(publication, TestJson.Default.GateApproved, "/s", At), ServiceBusJsonContext.Default.CloudEvent);
        var retried = JsonSerializer.Serialize(CloudEventPublisher.CreateEnvelope(publication, TestJson.Default.GateApproved, "/s", At.AddMinutes(5)), ServiceBusJsonContext.Default.CloudEvent);

        // A retried activity republishes the identical event, so consumers de-duplicate by id.
        Assert.Equal(first, retried);
    }

    [Fact]
    public void CreateEnvelope_MissingId_Throws()
    {
        var publication = new EventPublication<GateApproved>(" ", new CloudEventType("gate", "approved"), "offering-1", new GateApproved("g", "r"));

        Assert.Throws<ArgumentException>(() => CloudEventPublisher.CreateEnvelope(publication, TestJson.Default.GateApproved, "/s", At));
    }
}

internal sealed record GateApproved(string GateId, string Role);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(GateApproved))]
internal sealed partial class TestJson : JsonSerializerContext;
