using Amqp;
using Amqp.Framing;
using Amqp.Types;
using EcosystemFlows.Azure.ServiceBus;

namespace EcosystemFlows.Azure.Tests.ServiceBus;

public sealed class ServiceBusDialectTests
{
    private static readonly ServiceBusEntity Commands = ServiceBusEntity.Queue("offering-commands");
    private static readonly ServiceBusEntity Audit = ServiceBusEntity.TopicSubscription("offering-events", "audit");

    [Fact]
    public void For_ConnectionString_SelectsDialectByEmulatorFlag()
    {
        Assert.Same(ServiceBusDialect.Azure, ServiceBusDialect.For(ServiceBusConnectionString.Parse("Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=v")));
        Assert.Same(ServiceBusDialect.Local, ServiceBusDialect.For(ServiceBusConnectionString.Parse("Endpoint=amqp://127.0.0.1/;SharedAccessKeyName=u;SharedAccessKey=p;UseDevelopmentEmulator=true")));
    }

    [Fact]
    public void Addresses_Azure_UseServiceBusEntityPaths()
    {
        var azure = ServiceBusDialect.Azure;

        Assert.Equal("offering-commands", azure.QueueAddress("offering-commands"));
        Assert.Equal("offering-commands", azure.ReceiveAddress(Commands));
        Assert.Equal("offering-events/Subscriptions/audit", azure.ReceiveAddress(Audit));
        Assert.Equal("offering-commands/$deadletterqueue", azure.DeadLetterAddress(Commands));
        Assert.Equal("offering-events/Subscriptions/audit/$deadletterqueue", azure.DeadLetterAddress(Audit));
        Assert.Equal("offering-events", azure.TopicAddress("offering-events", "com.ecosystemflows.offering.started"));
        Assert.True(azure.UsesClaimsBasedSecurity);
    }

    [Fact]
    public void Addresses_Local_UseRabbitMqQueuesAndExchanges()
    {
        var local = ServiceBusDialect.Local;

        Assert.Equal("/queue/offering-commands", local.QueueAddress("offering-commands"));
        Assert.Equal("/amq/queue/offering-commands", local.ReceiveAddress(Commands));
        Assert.Equal("/amq/queue/offering-events.audit", local.ReceiveAddress(Audit));
        Assert.Equal("/queue/offering-commands.dlq", local.DeadLetterAddress(Commands));
        Assert.Equal("/queue/offering-events.audit.dlq", local.DeadLetterAddress(Audit));
        Assert.Equal("/exchange/offering-events/com.ecosystemflows.offering.started", local.TopicAddress("offering-events", "com.ecosystemflows.offering.started"));
        Assert.False(local.UsesClaimsBasedSecurity);
    }

    [Fact]
    public void SenderTarget_LocalQueue_IsDurableTerminusSoRabbitMqDeclaresDurableQueue()
    {
        Assert.Equal(2u, ServiceBusDialect.Local.SenderTarget("/queue/offering-commands").Durable);
        Assert.Equal(0u, ServiceBusDialect.Local.SenderTarget("/exchange/offering-events/x").Durable);
        Assert.Equal(0u, ServiceBusDialect.Azure.SenderTarget("offering-commands").Durable);
    }

    [Fact]
    public void Audience_EntityAddress_IsLowerCaseAmqpsUri()
    {
        Assert.Equal("amqps://contoso.servicebus.windows.net/offering-events/subscriptions/audit",
            ServiceBusDialect.Audience("Contoso.servicebus.windows.net", "offering-events/Subscriptions/audit"));
    }

    [Fact]
    public void DeadLetterOutcome_ReasonAndDescription_RejectedWithMicrosoftDeadLetterErrorInfo()
    {
        var outcome = ServiceBusDialect.DeadLetterOutcome("ValidationFailed", "offeringId is missing");

        // Round trip through the encoder: the disposition frame carries exactly this.
        var buffer = new ByteBuffer(256, true);
        outcome.Encode(buffer);
        var decoded = Assert.IsType<Rejected>(Amqp.Types.Encoder.ReadObject(buffer));
        Assert.Equal("com.microsoft:dead-letter", (string)decoded.Error.Condition);
        Assert.Equal("ValidationFailed", decoded.Error.Info[new Symbol("DeadLetterReason")]);
        Assert.Equal("offeringId is missing", decoded.Error.Info[new Symbol("DeadLetterErrorDescription")]);
    }

    [Fact]
    public void DeliveryCount_Azure_IsHeaderCountPlusOne()
    {
        Assert.Equal(1, ServiceBusDialect.Azure.DeliveryCount(new Message()));
        Assert.Equal(4, ServiceBusDialect.Azure.DeliveryCount(new Message { Header = new Header { DeliveryCount = 3 } }));
    }

    [Fact]
    public void DeliveryCount_Local_ComesFromOwnPropertyNotHeader()
    {
        var first = new Message { Header = new Header { DeliveryCount = 7 } };
        var third = new Message { ApplicationProperties = new ApplicationProperties { [ServiceBusDialect.LocalDeliveryCountProperty] = 3 } };

        Assert.Equal(1, ServiceBusDialect.Local.DeliveryCount(first));
        Assert.Equal(3, ServiceBusDialect.Local.DeliveryCount(third));
    }

    [Fact]
    public void ApplySchedule_Azure_SetsScheduledEnqueueTimeAnnotation()
    {
        var message = new Message();
        var at = new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.FromHours(2));

        ServiceBusDialect.Azure.ApplySchedule(message, at);

        Assert.Equal(at.UtcDateTime, message.MessageAnnotations[new Symbol("x-opt-scheduled-enqueue-time")]);
    }

    [Fact]
    public void ApplySchedule_Local_RefusesClearly()
    {
        var error = Assert.Throws<NotSupportedException>(() => ServiceBusDialect.Local.ApplySchedule(new Message(), DateTimeOffset.UtcNow));

        Assert.Contains("not supported by the local broker", error.Message, StringComparison.Ordinal);
    }
}
