using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using EcosystemFlows.Api.Offerings;
using EcosystemFlows.Api.Security;
using EcosystemFlows.Azure.ServiceBus;
using EcosystemFlows.Domain.Offerings;
using EcosystemFlows.Domain.Partners;
using EcosystemFlows.Workflows.JointOffering;
using EcosystemFlows.Workflows.Security;

// The demo scenario: three partners build a joint managed-SOC offering, every governance gate is
// signed (four over HTTP, one over Service Bus), and the launched offering, its SKU, support plan,
// offering sheet and the events seen on a subscription are shown.
var baseUrl = new Uri(args.Length > 0 ? args[0] : "http://localhost:7071");
var settings = LocalSettings.Load();
var auth = new AuthOptions
{
    Audience = settings["Auth__Audience"],
    Issuer = settings.GetValueOrDefault("Auth__Issuer", "ecosystemflows-dev"),
    DevelopmentSigningKey = settings["Auth__DevelopmentSigningKey"],
};
var json = new JsonSerializerOptions(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };
var today = DateOnly.FromDateTime(DateTime.UtcNow);

HttpClient As(string user, string? org, params string[] roles)
{
    var client = new HttpClient { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(30) };
    client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", DevelopmentTokens.Mint(auth, user, org, roles, TimeSpan.FromMinutes(30), DateTimeOffset.UtcNow));
    return client;
}

void Say(string line) => Console.WriteLine($"[demo] {line}");

var partners = new[]
{
    new Partner
    {
        PartnerId = "contoso", Name = "Contoso Security (vendor)", Type = PartnerType.Vendor,
        Agreements = [new Agreement(PartnerVerification.PartnerAgreementKind, today.AddYears(-1), today.AddYears(2))],
        Certifications = [new Certification("Managed SOC delivery", today.AddYears(1))],
        Support = new SupportCapability([SupportTier.L3], ["EU"], SupportHours.BusinessHours),
        Approvers = ["alice"], ExecutiveSponsor = "carol",
    },
    new Partner
    {
        PartnerId = "fabrikam", Name = "Fabrikam Distribution (distributor)", Type = PartnerType.Distributor,
        Agreements = [new Agreement(PartnerVerification.PartnerAgreementKind, today.AddYears(-2), null)],
        Certifications = [new Certification("Service desk", null)],
        Support = new SupportCapability([SupportTier.L1], ["EU", "UK"], SupportHours.TwentyFourSeven),
        Approvers = ["dan"], ExecutiveSponsor = "frank",
    },
    new Partner
    {
        PartnerId = "northwind", Name = "Northwind Integration (integrator)", Type = PartnerType.Integrator,
        Agreements = [new Agreement(PartnerVerification.PartnerAgreementKind, today.AddMonths(-6), today.AddYears(1))],
        Certifications = [new Certification("SOC onboarding", null)],
        Support = new SupportCapability([SupportTier.L1, SupportTier.L2], ["EU"], SupportHours.FollowTheSun),
        Approvers = ["grace"], ExecutiveSponsor = "heidi",
    },
};

foreach (var partner in partners)
{
    using var registered = await As("onboarding", partner.PartnerId, Roles.Partner).PostAsJsonAsync("/api/partners", partner, json);
    if (registered.StatusCode == System.Net.HttpStatusCode.Conflict)
    {
        using var updated = await As("onboarding", partner.PartnerId, Roles.Partner).PutAsJsonAsync($"/api/partners/{partner.PartnerId}", partner, json);
        updated.EnsureSuccessStatusCode();
    }
    else
    {
        registered.EnsureSuccessStatusCode();
    }

    Say($"partner registered: {partner.Name}");
}

var terms = new OfferingTerms
{
    Name = "Managed SOC for mid-market",
    Description = "24x7 security operations: Contoso builds the platform, Northwind onboards and triages, Fabrikam sells and runs the service desk.",
    CatalogId = "fabrikam-eu",
    Category = "Security services",
    Members =
    [
        new Member("contoso", MemberRole.Lead, ["Builds and operates the SOC platform", "Third-level engineering"], 50m),
        new Member("northwind", MemberRole.Contributor, ["Onboards customers", "Second-level triage"], 30m),
        new Member("fabrikam", MemberRole.Channel, ["Lists the SKU and bills customers", "First-level service desk"], 20m),
    ],
    SupportPlan = new SupportPlan("fabrikam", "northwind", "contoso"),
    Pricing = new Pricing(1499m, "EUR", BillingTerm.Monthly),
    ValueProposition = "Enterprise-grade SOC at a mid-market price: one SKU, one bill, one support path.",
    Objectives = [new Objective("Customers in year one", "40"), new Objective("Annual recurring revenue", "720,000 EUR")],
    AdditionalGates = [new AdditionalGate(GateKind.Legal, ["ivan"])],
    LaunchDate = today.AddMonths(2),
};

var alice = As("alice", "contoso", Roles.Partner, Roles.Approver);
using var start = new HttpRequestMessage(HttpMethod.Post, "/api/offerings") { Content = JsonContent.Create(new StartOfferingRequest(terms, 14), options: json) };
start.Headers.Add(JointOfferingApi.IdempotencyKeyHeader, $"demo-{DateTime.UtcNow:yyyyMMddHHmmss}");
using var started = await alice.SendAsync(start);
started.EnsureSuccessStatusCode();
var offeringId = (await started.Content.ReadFromJsonAsync<OfferingAccepted>(json))!.OfferingId;
Say($"offering {offeringId} submitted (202, terms {terms.TermsHash[..15]}…)");

async Task<OfferingView> WaitForAsync(OfferingStage stage)
{
    OfferingStage? last = null;
    for (var i = 0; i < 600; i++)
    {
        var view = await alice.GetFromJsonAsync<OfferingView>($"/api/offerings/{offeringId}", json);
        if (view!.Stage != last)
        {
            Say($"  stage: {view.Stage}");
            last = view.Stage;
        }

        if (view.Stage == stage)
        {
            return view;
        }

        await Task.Delay(100);
    }

    throw new TimeoutException($"the offering did not reach {stage}");
}

var awaiting = await WaitForAsync(OfferingStage.AwaitingSignOffs);
Say($"gates: {string.Join(", ", awaiting.Gates.Select(g => $"{g.GateId} ({string.Join("/", g.Approvers)})"))}, deadline {awaiting.Deadline:u}");

// Every gate over HTTP but the distributor's (a conflict review appears when earlier demo offerings overlap).
foreach (var gate in awaiting.Gates.Where(g => g.GateId != "member-fabrikam"))
{
    var approver = gate.Approvers[0];
    using var decided = await As(approver, null, Roles.Approver).PostAsJsonAsync($"/api/offerings/{offeringId}/signoffs/{gate.GateId}", new SignOffRequest(true, "Approved for launch", awaiting.TermsHash), json);
    decided.EnsureSuccessStatusCode();
    Say($"  {approver} approved {gate.GateId} over HTTP ({(int)decided.StatusCode})");
}

// The distributor's CRM records its sign-off through Service Bus.
// The same SDK client the app builds (Azure.Messaging.ServiceBus; locally the emulator's connection string).
await using var serviceBus = ServiceBusClientFactory.Create(new ServiceBusOptions { ConnectionString = settings["ServiceBus__ConnectionString"] }, credential: null);
await using var sender = new ServiceBusSender(serviceBus);
var command = new OfferingCommandMessage
{
    Command = OfferingCommandType.RecordSignOff,
    Actor = new CommandActor("dan", "fabrikam", [Roles.Approver]),
    OfferingId = offeringId,
    GateId = "member-fabrikam",
    Approve = true,
    Comment = "Approved from Fabrikam's CRM",
    TermsHash = awaiting.TermsHash,
};
await sender.SendToQueueAsync(OfferingCommandsFunction.QueueName, new ServiceBusMessage(JsonSerializer.SerializeToUtf8Bytes(command, CommandJsonContext.Default.OfferingCommandMessage))
{
    ContentType = "application/json",
    MessageId = $"{offeringId}-fabrikam-signoff",
    Subject = nameof(OfferingCommandType.RecordSignOff),
});
Say("  dan approved member-fabrikam over Service Bus (offering-commands)");

var launched = await WaitForAsync(OfferingStage.Launched);
Say($"LAUNCHED: SKU {launched.SkuCode} in catalog {launched.Terms.CatalogId}");
Say($"support: L1 {launched.Terms.SupportPlan.L1Owner} → L2 {launched.Terms.SupportPlan.L2Owner} → L3 {launched.Terms.SupportPlan.L3Owner}");
var sheet = await alice.GetStringAsync(launched.Links["offeringSheet"]);
Console.WriteLine(sheet);

// Read the demo subscription (peek-lock, complete) until it has been quiet for 3 s; other runs' events are completed too.
var events = new List<string>();
await using (var subscription = serviceBus.CreateReceiver("offering-events", "demo"))
{
    while (await subscription.ReceiveMessagesAsync(100, TimeSpan.FromSeconds(3)) is { Count: > 0 } batch)
    {
        foreach (var message in batch)
        {
            if (message.Subject == offeringId)
            {
                events.Add(JsonDocument.Parse(message.Body.ToMemory()).RootElement.GetProperty("type").GetString()!);
            }

            await subscription.CompleteMessageAsync(message);
        }
    }
}

Say($"events on subscription offering-events/demo for {offeringId} ({events.Count}):");
foreach (var group in events.GroupBy(e => e))
{
    Say($"  {group.Key} ×{group.Count()}");
}

Say($"audit trail: {baseUrl}api/offerings/{offeringId}/audit (token: eng/token.sh --user alice --org contoso --roles partner)");

// A second offering left waiting for its gates, to follow and sign in the web app.
var enterprise = terms with { Name = "Managed SOC for enterprise", Pricing = terms.Pricing with { ListPrice = 2999m } };
using var startSecond = new HttpRequestMessage(HttpMethod.Post, "/api/offerings") { Content = JsonContent.Create(new StartOfferingRequest(enterprise, 14), options: json) };
startSecond.Headers.Add(JointOfferingApi.IdempotencyKeyHeader, $"demo-web-{DateTime.UtcNow:yyyyMMddHHmmss}");
using var startedSecond = await alice.SendAsync(startSecond);
startedSecond.EnsureSuccessStatusCode();
var waitingId = (await startedSecond.Content.ReadFromJsonAsync<OfferingAccepted>(json))!.OfferingId;
Say($"offering {waitingId} ({enterprise.Name}) waits for its gates: follow and sign it in the web app at {baseUrl}app/");
Say("  sign in as alice (contoso), dan (fabrikam) or grace (northwind) with roles partner + approver, carol or ivan as approver");
return 0;

/// <summary>The Values of local.settings.json, found at or above the working directory.</summary>
internal static class LocalSettings
{
    public static Dictionary<string, string> Load()
    {
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "local.settings.json");
            if (File.Exists(path))
            {
                using var document = JsonDocument.Parse(File.ReadAllText(path));
                return document.RootElement.GetProperty("Values").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "");
            }
        }

        throw new FileNotFoundException("local.settings.json not found; run eng/run.sh, which creates it from local.settings.sample.json");
    }
}
