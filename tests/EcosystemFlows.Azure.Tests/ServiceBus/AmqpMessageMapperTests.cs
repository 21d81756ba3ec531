using System.Diagnostics;
using Amqp;
using Amqp.Framing;
using EcosystemFlows.Azure.ServiceBus;

namespace EcosystemFlows.Azure.Tests.ServiceBus;

public sealed class AmqpMessageMapperTests
{
    [Fact]
    public void ToAmqp_AllProperties_MapToAmqpSectionsAndAreDurable()
    {
        using var activity = new Activity("test").SetIdFormat(ActivityIdFormat.W3C).Start();
        activity.TraceStateString = "vendor=1";
        var message = new ServiceBusMessage("body"u8.ToArray())
        {
            MessageId = "m-1",
            CorrelationId = "c-1",
            Subject = "offering-42",
            ContentType = "application/json",
            TimeToLive = TimeSpan.FromMinutes(5),
            ApplicationProperties = new Dictionary<string, object?> { ["partnerId"] = "p-1" },
        };

        var wire = Message.Decode(AmqpMessageMapper.ToAmqp(message, ServiceBusDialect.Local, activity).Encode());

        Assert.True(wire.Header.Durable);
        Assert.Equal(300_000u, wire.Header.Ttl);
        Assert.Equal("m-1", wire.Properties.MessageId);
        Assert.Equal("c-1", wire.Properties.CorrelationId);
        Assert.Equal("offering-42", wire.Properties.Subject);
        Assert.Equal("application/json", (string)wire.Properties.ContentType);
        Assert.Equal("body"u8.ToArray(), Assert.IsType<Data>(wire.BodySection).Binary);
        Assert.Equal("p-1", wire.ApplicationProperties["partnerId"]);
        Assert.Equal(activity.Id, wire.ApplicationProperties["traceparent"]);
        Assert.Equal(activity.Id, wire.ApplicationProperties["Diagnostic-Id"]);
        Assert.Equal("vendor=1", wire.ApplicationProperties["tracestate"]);
    }

    [Fact]
    public void ToAmqp_ScheduledOnAzure_CarriesAnnotation()
    {
        var at = DateTimeOffset.UtcNow.AddHours(1);
        var wire = AmqpMessageMapper.ToAmqp(new ServiceBusMessage("x"u8.ToArray()) { ScheduledEnqueueTime = at }, ServiceBusDialect.Azure, null);

        Assert.Equal(at.UtcDateTime, wire.MessageAnnotations[new Amqp.Types.Symbol(ServiceBusDialect.ScheduledEnqueueTimeAnnotation)]);
    }

    [Fact]
    public void FromAmqp_LocalRedelivery_HidesBookkeepingAndReportsCount()
    {
        var amqp = new Message("text body")
        {
            Properties = new Properties { MessageId = "m-2" },
            ApplicationProperties = new ApplicationProperties { [ServiceBusDialect.LocalDeliveryCountProperty] = 2, ["x"] = "y" },
        };

        var received = AmqpMessageMapper.FromAmqp(amqp, ServiceBusEntity.Queue("q"), ServiceBusDialect.Local);

        Assert.Equal(2, received.DeliveryCount);
        Assert.Equal("text body", System.Text.Encoding.UTF8.GetString(received.Body.Span));
        Assert.Equal(["x"], received.ApplicationProperties.Keys);
    }
}
