using System.Diagnostics;
using EcosystemFlows.Azure.ServiceBus;

namespace EcosystemFlows.Azure.Tests.ServiceBus;

public sealed class ServiceBusSenderTests
{
    [Fact]
    public void ToSdk_WithActivity_CarriesIdsPropertiesAndW3CTraceContext()
    {
        using var activity = new Activity("send").SetIdFormat(ActivityIdFormat.W3C).Start();
        var message = new ServiceBusMessage("{}"u8.ToArray())
        {
            MessageId = "evt-1",
            Subject = "offering-1",
            ContentType = "application/cloudevents+json",
            ApplicationProperties = new Dictionary<string, object?> { ["type"] = "OfferingApproved", ["skipped"] = null },
        };

        var sdk = ServiceBusSender.ToSdk(message, activity);

        Assert.Equal(("evt-1", "offering-1", "application/cloudevents+json"), (sdk.MessageId, sdk.Subject, sdk.ContentType));
        Assert.Equal("OfferingApproved", sdk.ApplicationProperties["type"]);
        Assert.False(sdk.ApplicationProperties.ContainsKey("skipped"));
        Assert.Equal(activity.Id, sdk.ApplicationProperties[ServiceBusSender.TraceParentProperty]);
        Assert.Equal(activity.Id, sdk.ApplicationProperties[ServiceBusSender.DiagnosticIdProperty]);
        Assert.Equal(activity.Id, ServiceBusSender.ParentId(sdk.ApplicationProperties.ToDictionary(p => p.Key, p => p.Value)));
    }

    [Fact]
    public void ToSdk_NoMessageId_GetsOneSoRetriesKeepIt()
    {
        var sdk = ServiceBusSender.ToSdk(new ServiceBusMessage("x"u8.ToArray()), traceContext: null);

        Assert.False(string.IsNullOrEmpty(sdk.MessageId));
        Assert.False(sdk.ApplicationProperties.ContainsKey(ServiceBusSender.TraceParentProperty));
    }
}
