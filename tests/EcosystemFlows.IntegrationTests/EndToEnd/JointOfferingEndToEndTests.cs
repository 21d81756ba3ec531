using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using EcosystemFlows.Api.Offerings;
using EcosystemFlows.Api.Security;
using EcosystemFlows.Azure.ServiceBus;
using EcosystemFlows.Domain.Tests;
using EcosystemFlows.IntegrationTests.ServiceBus;
using EcosystemFlows.Workflows.JointOffering;
using EcosystemFlows.Workflows.Security;

namespace EcosystemFlows.IntegrationTests.EndToEnd;

/// <summary>
/// The product as users meet it: the app as a process on Cosmos stand-in, Azurite and the Service Bus emulator; partners
/// over HTTP, one sign-off over Service Bus, and the events read back from a subscription.
/// </summary>
[Collection(OfferingCommandsCollection.Name)]
public sealed class JointOfferingEndToEndTests
{
    private static readonly JsonSerializerOptions Json = OfferingsApi.Json;

    [Fact]
    public async Task Offerings_LaunchedAndRejected_OverHttpAndServiceBus_PublishTheirEvents()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var settings = AppProcess.IsolatedSettings($"e2e{run}");
        settings["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning";
        await using var app = AppProcess.Start(settings);
        using var anonymous = await app.WaitUntilLiveAsync(TimeSpan.FromSeconds(90));
        var auth = new AuthOptions { Audience = settings["Auth__Audience"], DevelopmentSigningKey = settings["Auth__DevelopmentSigningKey"] };
        HttpClient As(string user, string org, params string[] roles) => OfferingsApi.As(app, auth, user, org, roles);
        await OfferingsApi.RegisterPartnersAsync(app, auth);

        // Operator too: a timeout reports the instance's history from the management API.
        var alice = As("alice", "contoso", Roles.Partner, Roles.Operator);
        var launchedId = await OfferingsApi.StartAsync(alice, $"launch-{run}");
        var rejectedId = await OfferingsApi.StartAsync(alice, $"reject-{run}");
        var hash = Examples.Terms().TermsHash;
        var awaiting = await OfferingsApi.WaitForStageAsync(alice, launchedId, app, OfferingStage.AwaitingSignOffs);
        await OfferingsApi.WaitForStageAsync(alice, rejectedId, app, OfferingStage.AwaitingSignOffs);

        // Every gate the offering shows (the two offerings overlap, so a conflict review may be among them),
        // over HTTP except the distributor's, which comes over Service Bus below.
        foreach (var gate in awaiting.Gates.Where(g => g.GateId != "member-fabrikam"))
        {
            using var decided = await As(gate.Approvers[0], "contoso", Roles.Approver).PostAsJsonAsync($"/api/offerings/{launchedId}/signoffs/{gate.GateId}", new SignOffRequest(true, "ok", hash), Json);
            Assert.Equal(HttpStatusCode.Accepted, decided.StatusCode);
        }

        await using var client = ServiceBusTestBroker.Client();
        await using var sender = new ServiceBusSender(client);
        var command = new OfferingCommandMessage
        {
            Command = OfferingCommandType.RecordSignOff,
            Actor = new CommandActor("dan", "fabrikam", [Roles.Approver]),
            OfferingId = launchedId,
            GateId = "member-fabrikam",
            Approve = true,
            TermsHash = hash,
        };
        await sender.SendToQueueAsync(
            OfferingCommandsFunction.QueueName,
            new ServiceBusMessage(JsonSerializer.SerializeToUtf8Bytes(command, CommandJsonContext.Default.OfferingCommandMessage)) { MessageId = $"{launchedId}-dan" });
        using var rejected = await As("ivan", "contoso", Roles.Approver).PostAsJsonAsync($"/api/offerings/{rejectedId}/signoffs/legal", new SignOffRequest(false, "liability cap missing", hash), Json);
        Assert.Equal(HttpStatusCode.Accepted, rejected.StatusCode);

        var launched = await OfferingsApi.WaitForStageAsync(alice, launchedId, app, OfferingStage.Launched);
        var refused = await OfferingsApi.WaitForStageAsync(alice, rejectedId, app, OfferingStage.Rejected);
        Assert.StartsWith("JO-SEC-", launched.SkuCode, StringComparison.Ordinal);
        Assert.Contains("liability cap missing", refused.Reason, StringComparison.Ordinal);

        var gates = awaiting.Gates.Count;
        var conflicts = awaiting.Gates.Count(g => g.GateId == "conflict-review");
        var events = await ReadEventsAsync(client, new() { [launchedId] = "offering.launched", [rejectedId] = "offering.rejected" });
        Assert.Equal(
            conflicts == 0
                ? ["offering.submitted", "partner.verified", "signoff.requested", "signoff.recorded", "offering.approved", "sku.created", "support.assigned", "offering.launched"]
                : ["offering.submitted", "partner.verified", "conflict.detected", "signoff.requested", "signoff.recorded", "offering.approved", "sku.created", "support.assigned", "offering.launched"],
            events[launchedId].Distinct());
        Assert.Equal(gates, events[launchedId].Count(e => e == "signoff.recorded"));
        Assert.Equal("offering.rejected", events[rejectedId][^1]);
        Assert.DoesNotContain("sku.created", events[rejectedId]);
    }

    /// <summary>
    /// Event types per offering from the e2e subscription, de-duplicated by event id and ordered by the
    /// offering's sequence number, read until each offering's final event (<paramref name="lastEvents"/>) and every
    /// event before it have arrived: the processor hands messages to concurrent handlers, so the final event can
    /// be handled before earlier ones (stopping on it alone once lost two events in CI).
    /// </summary>
    private static async Task<Dictionary<string, List<string>>> ReadEventsAsync(global::Azure.Messaging.ServiceBus.ServiceBusClient client, Dictionary<string, string> lastEvents)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var events = lastEvents.Keys.ToDictionary(id => id, _ => new SortedList<int, string>());
        var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var processor = ServiceBusTestBroker.Processor(client, ServiceBusEntity.TopicSubscription("offering-events", "e2e"), (message, _) =>
        {
            lock (events)
            {
                if (message.Subject is { } subject && events.TryGetValue(subject, out var list) && seen.Add(message.MessageId!))
                {
                    var cloudEvent = JsonDocument.Parse(message.Body).RootElement;
                    list.Add(
                        cloudEvent.GetProperty("data").GetProperty("sequence").GetInt32(),
                        cloudEvent.GetProperty("type").GetString()!.Replace("com.ecosystemflows.", "", StringComparison.Ordinal));
                    if (lastEvents.All(last => events[last.Key] is var arrived && arrived.ContainsValue(last.Value) && arrived.Keys[^1] == arrived.Count))
                    {
                        enough.TrySetResult();
                    }
                }
            }

            return Task.CompletedTask;
        });
        await processor.StartAsync();
        await Task.WhenAny(enough.Task, Task.Delay(TimeSpan.FromSeconds(30)));
        await processor.StopAsync();
        return events.ToDictionary(e => e.Key, e => e.Value.Values.ToList());
    }
}
