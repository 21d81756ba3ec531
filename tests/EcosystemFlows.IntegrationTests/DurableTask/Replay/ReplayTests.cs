using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using DurableTask.Core;
using DurableTask.Core.Command;
using DurableTask.Core.History;
using EcosystemFlows.Api.Offerings;
using EcosystemFlows.Api.Security;
using EcosystemFlows.Azure.Configuration;
using EcosystemFlows.Azure.Storage;
using EcosystemFlows.Domain.Tests;
using EcosystemFlows.DurableTask.Hosting;
using EcosystemFlows.IntegrationTests.EndToEnd;
using EcosystemFlows.Workflows;
using EcosystemFlows.Workflows.JointOffering;
using EcosystemFlows.Workflows.Security;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Shims;
using Microsoft.Extensions.Logging.Abstractions;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace EcosystemFlows.IntegrationTests.DurableTask.Replay;

/// <summary>
/// Histories recorded from real runs of the joint-offering orchestrations (the Durable Task Framework's own history
/// events), replayed against the current code by the framework's executor through the SDK's shims, as a worker
/// replays a running instance after a deployment. A change that would break running instances (an activity renamed,
/// reordered or removed before a recorded point, a different input shape) fails here. Record anew (local services
/// running) with <c>ECOFLOWS_RECORD_HISTORIES=1 dotnet test tests/EcosystemFlows.IntegrationTests --filter FullyQualifiedName~ReplayTests</c>
/// when a change is meant to be incompatible (and say how running instances are handled).
/// </summary>
public sealed class ReplayTests
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };
    private static readonly string HistoriesDir = Path.Combine(LocalServices.RepositoryRoot, "tests", "EcosystemFlows.IntegrationTests", "DurableTask", "Replay", "Histories");

    public static TheoryData<string> Recorded() => [.. Directory.EnumerateFiles(HistoriesDir, "*.json").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(Recorded))]
    public void Replay_RecordedHistory_CurrentCodeReproducesIt(string file)
    {
        var recorded = JsonConvert.DeserializeObject<RecordedHistory>(File.ReadAllText(Path.Combine(HistoriesDir, file)))!;

        var result = ReplayAll(recorded);

        Assert.DoesNotContain(result.Actions.OfType<OrchestrationCompleteOrchestratorAction>(), a => a.OrchestrationStatus == OrchestrationStatus.Failed);
    }

    [Fact]
    public void Replay_HistoryTheCodeDoesNotProduce_Fails()
    {
        // The same history with the first activity renamed: what a running instance would meet after such a change.
        var recorded = JsonConvert.DeserializeObject<RecordedHistory>(File.ReadAllText(Path.Combine(HistoriesDir, "JointOffering.awaiting-signoffs.json")))!;
        var events = HistoryJson.Read(recorded.History.ToString());
        var first = events.OfType<TaskScheduledEvent>().First();
        first.Name = "SomeOtherActivity";

        var result = Execute(recorded.Orchestrator, events);

        var failure = Assert.Single(result.Actions.OfType<OrchestrationCompleteOrchestratorAction>());
        Assert.Equal(OrchestrationStatus.Failed, failure.OrchestrationStatus);
        Assert.Contains("NonDeterministic", failure.FailureDetails?.ErrorType ?? failure.Details ?? "", StringComparison.Ordinal);
    }

    /// <summary>
    /// Runs offerings to the states worth keeping (waiting for sign-offs, launched and live, rejected, cancelled) in the
    /// app on the local services, reads their histories through the management API, records them (under .local, or
    /// into the committed folder when asked) and replays each: a recording that does not replay is no baseline.
    /// </summary>
    [Fact]
    public async Task Record_OfferingsInEveryState_HistoriesReplay()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var settings = AppProcess.IsolatedSettings($"replay{run}");
        await using var app = AppProcess.Start(settings);
        using var _ = await app.WaitUntilLiveAsync(TimeSpan.FromSeconds(90));
        var auth = new AuthOptions { Audience = settings["Auth__Audience"], DevelopmentSigningKey = settings["Auth__DevelopmentSigningKey"] };
        foreach (var partner in Examples.Partners().Values)
        {
            using var onboarding = As(app, auth, "onboarding", partner.PartnerId, Roles.Partner);
            using var registered = await onboarding.PostAsJsonAsync("/api/partners", partner, Json);
            Assert.True(registered.IsSuccessStatusCode, await registered.Content.ReadAsStringAsync());
        }

        using var alice = As(app, auth, "alice", "contoso", Roles.Partner, Roles.Operator);
        var hash = Examples.Terms().TermsHash;
        var states = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var state in new[] { "awaiting-signoffs", "launched-live", "rejected", "cancelled" })
        {
            var id = await StartAsync(alice, $"{state}-{run}");
            var gates = (await WaitForAsync(alice, id, v => v.Stage == OfferingStage.AwaitingSignOffs)).Gates;
            var decisions = state switch
            {
                "awaiting-signoffs" => gates.Take(2).Select(g => (g, true)),
                "launched-live" => gates.Select(g => (g, true)),
                "rejected" => gates.Where(g => g.GateId == "legal").Select(g => (g, false)),
                _ => [],
            };
            foreach (var (gate, approve) in decisions)
            {
                using var approver = As(app, auth, gate.Approvers[0], "contoso", Roles.Approver);
                using var decided = await approver.PostAsJsonAsync($"/api/offerings/{id}/signoffs/{gate.GateId}", new SignOffRequest(approve, approve ? "ok" : "no", hash), Json);
                Assert.Equal(HttpStatusCode.Accepted, decided.StatusCode);
            }

            if (state == "cancelled")
            {
                using var cancelled = await alice.PostAsJsonAsync($"/api/offerings/{id}/cancel", new { reason = "partner left" }, Json);
                Assert.Equal(HttpStatusCode.Accepted, cancelled.StatusCode);
            }

            states[state] = id;
        }

        await WaitForAsync(alice, states["awaiting-signoffs"], v => v.Gates.Count(g => g.State == "Approved") == 2);
        await WaitForAsync(alice, states["launched-live"], v => v.Stage == OfferingStage.Launched);
        await WaitForAsync(alice, states["rejected"], v => v.Stage == OfferingStage.Rejected);
        await WaitForAsync(alice, states["cancelled"], v => v.Stage == OfferingStage.Cancelled);

        var target = Environment.GetEnvironmentVariable("ECOFLOWS_RECORD_HISTORIES") == "1"
            ? HistoriesDir
            : Path.Combine(LocalServices.LocalDirectory, "replay-histories");
        Directory.CreateDirectory(target);
        using var hub = TaskHubService.ForAzureStorage(
            new DurableTaskHubOptions { HubName = settings["extensions__durableTask__hubName"], WorkerId = "replay-recorder" },
            new StorageOptions { ConnectionString = LocalServices.StorageConnectionString },
            AzureCredentials.Create(),
            NullLoggerFactory.Instance);
        foreach (var (state, id) in states)
        {
            var history = await hub.Client.GetOrchestrationHistoryAsync(id, (await hub.Client.GetOrchestrationStateAsync(id, allExecutions: false))[0].OrchestrationInstance.ExecutionId);
            var recorded = new RecordedHistory(nameof(JointOfferingOrchestrator), JArray.Parse(history));
            Assert.NotEmpty(recorded.History);
            await File.WriteAllTextAsync(Path.Combine(target, $"JointOffering.{state}.json"), JsonConvert.SerializeObject(recorded, Formatting.Indented));
            Assert.DoesNotContain(ReplayAll(recorded).Actions.OfType<OrchestrationCompleteOrchestratorAction>(), a => a.OrchestrationStatus == OrchestrationStatus.Failed);
        }
    }

    private static OrchestratorExecutionResult ReplayAll(RecordedHistory recorded) => Execute(recorded.Orchestrator, HistoryJson.Read(recorded.History.ToString()));

    private static OrchestratorExecutionResult Execute(string orchestrator, IList<HistoryEvent> events)
    {
        ITaskOrchestrator code = orchestrator switch
        {
            nameof(JointOfferingOrchestrator) => new JointOfferingOrchestrator(),
            nameof(AmendmentRoundOrchestrator) => new AmendmentRoundOrchestrator(),
            _ => throw new ArgumentException($"unknown orchestrator {orchestrator}", nameof(orchestrator)),
        };
        var shims = new DurableTaskShimFactory(new DurableTaskWorkerOptions { DataConverter = WorkflowJson.Converter }, NullLoggerFactory.Instance);
        var executor = new TaskOrchestrationExecutor(
            new OrchestrationRuntimeState(events), shims.CreateOrchestration(new TaskName(orchestrator), code), BehaviorOnContinueAsNew.Carryover, ErrorPropagationMode.UseFailureDetails);
        return executor.Execute();
    }

    private static HttpClient As(AppProcess app, AuthOptions auth, string user, string org, params string[] roles)
    {
        var client = new HttpClient { BaseAddress = app.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", DevelopmentTokens.Mint(auth, user, org, roles, TimeSpan.FromMinutes(10), DateTimeOffset.UtcNow));
        return client;
    }

    private static async Task<string> StartAsync(HttpClient client, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/offerings") { Content = JsonContent.Create(new StartOfferingRequest(Examples.Terms(), 10), options: Json) };
        request.Headers.Add(JointOfferingApi.IdempotencyKeyHeader, key);
        using var response = await client.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<OfferingAccepted>(Json))!.OfferingId;
    }

    private static async Task<OfferingView> WaitForAsync(HttpClient client, string id, Func<OfferingView, bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            using var response = await client.GetAsync(new Uri($"/api/offerings/{id}", UriKind.Relative), timeout.Token);
            if (response.StatusCode == HttpStatusCode.OK && await response.Content.ReadFromJsonAsync<OfferingView>(Json, timeout.Token) is { } view && condition(view))
            {
                return view;
            }

            await Task.Delay(100, timeout.Token);
        }
    }

    /// <summary>One recorded history: the orchestrator's name and its events as the framework serializes them.</summary>
    private sealed record RecordedHistory(string Orchestrator, JArray History);
}
