using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Azure.Messaging.ServiceBus;
using EcosystemFlows.Api.Offerings;
using EcosystemFlows.Api.Security;
using EcosystemFlows.Domain.Tests;
using EcosystemFlows.IntegrationTests.ServiceBus;
using EcosystemFlows.Workflows.Security;

namespace EcosystemFlows.IntegrationTests.EndToEnd;

/// <summary>
/// One trace from an HTTP start to the published event, through the app process, the Storage-queue task hub
/// (the durable boundary) and Service Bus (the emulator, through the SDK): the event's <c>traceparent</c> carries the
/// trace id the caller sent.
/// </summary>
public sealed class TracingEndToEndTests
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    [Fact]
    public async Task StartOffering_WithTraceparent_PublishedEventContinuesTheCallersTrace()
    {
        // Arrange: the app on the local services, and a subscription of the events topic this test alone reads (Config.json).
        var run = Guid.NewGuid().ToString("N")[..8];
        var settings = AppProcess.IsolatedSettings($"e2etrace{run}");
        settings["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning";
        await using var client = ServiceBusTestBroker.Client();
        await using var events = client.CreateReceiver("offering-events", "e2e-tracing");
        await using var app = AppProcess.Start(settings);
        using var anonymous = await app.WaitUntilLiveAsync(TimeSpan.FromSeconds(90));
        var auth = new AuthOptions { Audience = settings["Auth__Audience"], DevelopmentSigningKey = settings["Auth__DevelopmentSigningKey"] };
        HttpClient As(string user, string organisation)
        {
            var client = new HttpClient { BaseAddress = app.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
                "Bearer", DevelopmentTokens.Mint(auth, user, organisation, [Roles.Partner], TimeSpan.FromMinutes(10), DateTimeOffset.UtcNow));
            return client;
        }

        foreach (var partner in Examples.Partners().Values)
        {
            using var onboarding = As("onboarding", partner.PartnerId);
            using var registered = await onboarding.PostAsJsonAsync("/api/partners", partner, Json);
            Assert.True(registered.IsSuccessStatusCode, await registered.Content.ReadAsStringAsync());
        }

        using var alice = As("alice", "contoso");

        // Act: start the offering as a traced caller would.
        var traceId = ActivityTraceId.CreateRandom();
        var callerSpanId = ActivitySpanId.CreateRandom();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/offerings")
        {
            Content = JsonContent.Create(new StartOfferingRequest(Examples.Terms(), 10), options: Json),
        };
        request.Headers.Add(JointOfferingApi.IdempotencyKeyHeader, $"trace-{run}");
        request.Headers.Add("traceparent", $"00-{traceId}-{callerSpanId}-01");
        using var response = await alice.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        var offeringId = (await response.Content.ReadFromJsonAsync<OfferingAccepted>(Json))!.OfferingId;
        var submitted = await ReceiveAsync(events, offeringId, "com.ecosystemflows.offering.submitted", app);

        // Assert: same trace, parented by a span of the app (the send span), not by the caller directly.
        var traceParent = Assert.IsType<string>(submitted.ApplicationProperties["traceparent"]);
        var parts = traceParent.Split('-');
        Assert.Equal(traceId.ToHexString(), parts[1]);
        Assert.NotEqual(callerSpanId.ToHexString(), parts[2]);
        Assert.Equal(traceParent, submitted.ApplicationProperties["Diagnostic-Id"]);
    }

    private static async Task<ServiceBusReceivedMessage> ReceiveAsync(ServiceBusReceiver events, string offeringId, string type, AppProcess app)
    {
        var deadline = Stopwatch.StartNew();
        while (TimeSpan.FromSeconds(60) - deadline.Elapsed is var remaining && remaining > TimeSpan.Zero)
        {
            // Earlier runs' events are read and completed on the way.
            foreach (var message in await events.ReceiveMessagesAsync(100, remaining))
            {
                await events.CompleteMessageAsync(message);
                if (message.Subject == offeringId && message.ApplicationProperties.TryGetValue("type", out var value) && value as string == type)
                {
                    return message;
                }
            }
        }

        throw new TimeoutException($"no {type} event for {offeringId} within 60 s; app output:\n{app.Output}");
    }
}
