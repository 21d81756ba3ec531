using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using EcosystemFlows.Api.Offerings;
using EcosystemFlows.Api.Security;
using EcosystemFlows.Domain.Ports;
using EcosystemFlows.Domain.Tests;
using EcosystemFlows.Workflows.JointOffering;
using EcosystemFlows.Workflows.Security;

namespace EcosystemFlows.IntegrationTests.EndToEnd;

/// <summary>
/// The app SIGKILLed while offerings wait for sign-offs and while their launch steps run, then started again on the
/// same task hub (Azurite) and Cosmos database: every offering still completes, and completes once (one SKU, an
/// audit trail without gaps or repeats).
/// </summary>
public sealed class CrashRecoveryEndToEndTests
{
    private static readonly JsonSerializerOptions Json = OfferingsApi.Json;

    [Fact]
    public async Task App_KilledWhileWaitingAndMidLaunch_EveryOfferingLaunchesOnceAfterRestart()
    {
        // Arrange: one app process, same worker id across restarts (as a restarted instance keeps its name).
        var run = Guid.NewGuid().ToString("N")[..8];
        var settings = AppProcess.IsolatedSettings($"crash{run}");
        settings["extensions__durableTask__workerId"] = $"crash{run}";
        settings["extensions__durableTask__storageProvider__controlQueueVisibilityTimeout"] = "00:00:05";
        settings["extensions__durableTask__storageProvider__workItemQueueVisibilityTimeout"] = "00:00:05";
        settings["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning";
        var auth = new AuthOptions { Audience = settings["Auth__Audience"], DevelopmentSigningKey = settings["Auth__DevelopmentSigningKey"] };
        var hash = Examples.Terms().TermsHash;
        string[] ids;
        var gates = new Dictionary<string, List<GateState>>(StringComparer.Ordinal);

        // Act 1: start two offerings, wait until they ask for sign-offs, kill the app.
        await using (var first = AppProcess.Start(settings))
        {
            using var _ = await first.WaitUntilLiveAsync(TimeSpan.FromSeconds(90));
            await OfferingsApi.RegisterPartnersAsync(first, auth);
            using var alice = OfferingsApi.As(first, auth, "alice", "contoso", Roles.Partner, Roles.Operator);
            ids = [await OfferingsApi.StartAsync(alice, $"a-{run}"), await OfferingsApi.StartAsync(alice, $"b-{run}")];
            foreach (var id in ids)
            {
                // The two overlap: the second may have a conflict-review gate as well.
                gates[id] = [.. (await OfferingsApi.WaitForStageAsync(alice, id, first, OfferingStage.AwaitingSignOffs)).Gates];
            }
        }

        // Act 2: a new process signs every gate of both, and is killed as soon as the last decision is accepted,
        // while the SKU, support and launch steps run.
        await using (var second = AppProcess.Start(settings))
        {
            using var _ = await second.WaitUntilLiveAsync(TimeSpan.FromSeconds(90));
            foreach (var id in ids)
            {
                foreach (var gate in gates[id])
                {
                    using var approver = OfferingsApi.As(second, auth, gate.Approvers[0], "contoso", Roles.Approver);
                    using var decided = await approver.PostAsJsonAsync($"/api/offerings/{id}/signoffs/{gate.GateId}", new SignOffRequest(true, "ok", hash), Json);
                    Assert.Equal(HttpStatusCode.Accepted, decided.StatusCode);
                }
            }

            using var alice = OfferingsApi.As(second, auth, "alice", "contoso", Roles.Partner, Roles.Operator);
            await OfferingsApi.WaitForStageAsync(alice, ids[^1], second, OfferingStage.CreatingSku, OfferingStage.AssigningSupport, OfferingStage.Launching, OfferingStage.Launched);
        }

        // Assert: a third process finishes both; each launched once.
        await using var third = AppProcess.Start(settings);
        using var live = await third.WaitUntilLiveAsync(TimeSpan.FromSeconds(90));
        using var partner = OfferingsApi.As(third, auth, "alice", "contoso", Roles.Partner, Roles.Operator);
        foreach (var id in ids)
        {
            var launched = await OfferingsApi.WaitForStageAsync(partner, id, third, OfferingStage.Launched);
            Assert.StartsWith("JO-SEC-", launched.SkuCode, StringComparison.Ordinal);

            // The status shows Launched before the launch is recorded: read the trail once it ends with the launch.
            var audit = await ReadAuditAsync(partner, id, until: "offering.launched", TimeSpan.FromSeconds(30));
            var trail = string.Join(", ", audit.Select(a => $"{a.Sequence} {a.Action}"));
            var expected = (SkuCreated: 1, Launched: 1, SignOffs: gates[id].Count, Sequences: string.Join(",", Enumerable.Range(1, audit.Count)));
            var actual = (
                SkuCreated: audit.Count(a => a.Action == "sku.created"),
                Launched: audit.Count(a => a.Action == "offering.launched"),
                SignOffs: audit.Count(a => a.Action == "signoff.recorded"),
                Sequences: string.Join(",", audit.Select(a => a.Sequence)));
            if (actual != expected)
            {
                // Once in CI (at b3181cd, under load) an offering shown Launched had no sku.created entry (#17): keep
                // what the next such failure needs to be explained.
                using var history = await partner.GetAsync(new Uri($"/webhooks/durabletask/instances/{id}?showHistory=true", UriKind.Relative));
                Assert.Fail($"offering {id}: expected {expected}, got {actual}; audit trail: {trail}; history ({history.StatusCode}):\n" +
                    $"{await history.Content.ReadAsStringAsync()}\napp output:\n{third.Output}");
            }
        }
    }

    private static async Task<List<AuditEntry>> ReadAuditAsync(HttpClient client, string id, string until, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var audit = (await client.GetFromJsonAsync<List<AuditEntry>>($"/api/offerings/{id}/audit", Json))!;
            if (audit.Any(a => a.Action == until) || DateTime.UtcNow > deadline)
            {
                return audit;
            }

            await Task.Delay(200);
        }
    }
}
