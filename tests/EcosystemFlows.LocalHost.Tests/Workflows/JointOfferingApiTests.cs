using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using EcosystemFlows.Api.Offerings;
using EcosystemFlows.Api.Security;
using EcosystemFlows.Domain.Offerings;
using EcosystemFlows.Domain.Ports;
using EcosystemFlows.Domain.Tests;
using EcosystemFlows.LocalHost.Tests.Hosting;
using EcosystemFlows.Workflows.JointOffering;
using EcosystemFlows.Workflows.Security;

namespace EcosystemFlows.LocalHost.Tests.Workflows;

/// <summary>The offerings and partners HTTP API on the real app (in-memory backend and ports), over HTTP with tokens.</summary>
public sealed class JointOfferingApiTests : IAsyncLifetime
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };
    private static readonly AuthOptions Auth = new() { Audience = "ecosystemflows-tests", Issuer = "ecosystemflows-tests", DevelopmentSigningKey = AppFactory.TestSigningKey };
    private readonly AppFactory _app = new();

    public Task InitializeAsync()
    {
        foreach (var partner in Examples.Partners().Values)
        {
            _app.Ports.Partners[partner.PartnerId] = partner;
        }

        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Start_WithoutIdempotencyKey_Is400()
    {
        using var response = await Client("alice", "contoso", Roles.Partner).PostAsJsonAsync("/api/offerings", new StartOfferingRequest(Examples.Terms(), 10), Json);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("idempotency key", await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Start_InvalidTerms_Is400WithFieldErrors()
    {
        var terms = Examples.Terms();
        terms = terms with { Members = [terms.Members[0] with { RevenueSharePercent = 10m }, terms.Members[1], terms.Members[2]], Pricing = terms.Pricing with { Currency = "XYZ" } };

        using var response = await StartAsync(Client("alice", "contoso", Roles.Partner), terms, "k-1");
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = problem.RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty("members", out _));
        Assert.True(errors.TryGetProperty("pricing.currency", out _));
    }

    [Fact]
    public async Task Start_ByNonLeadMember_Is400()
    {
        using var response = await StartAsync(Client("dan", "fabrikam", Roles.Partner), Examples.Terms(), "k-1");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("must be the Lead member", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_SameKeyTwice_SameOffering()
    {
        var client = Client("alice", "contoso", Roles.Partner);

        using var first = await StartAsync(client, Examples.Terms(), "same");
        using var second = await StartAsync(client, Examples.Terms(), "same");
        using var other = await StartAsync(client, Examples.Terms(), "other");

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        var firstId = (await first.Content.ReadFromJsonAsync<OfferingAccepted>(Json))!.OfferingId;
        Assert.Equal(firstId, (await second.Content.ReadFromJsonAsync<OfferingAccepted>(Json))!.OfferingId);
        Assert.NotEqual(firstId, (await other.Content.ReadFromJsonAsync<OfferingAccepted>(Json))!.OfferingId);
        Assert.Equal(new Uri($"/api/offerings/{firstId}", UriKind.Relative), first.Headers.Location);
    }

    [Fact]
    public async Task Start_SameKeyDifferentBody_Is422ProblemAndTheFirstStands()
    {
        var client = Client("alice", "contoso", Roles.Partner);
        var terms = Examples.Terms();

        using var first = await StartAsync(client, terms, "reused");
        using var otherTerms = await StartAsync(client, terms with { Name = "Something else" }, "reused");
        using var otherWindow = await StartAsync(client, terms, "reused", signOffWindowDays: 30);
        using var sameAgain = await StartAsync(client, terms, "reused");

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        var firstId = (await first.Content.ReadFromJsonAsync<OfferingAccepted>(Json))!.OfferingId;
        foreach (var refused in new[] { otherTerms, otherWindow })
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            using var problem = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
            Assert.Equal("https://datatracker.ietf.org/doc/html/draft-ietf-httpapi-idempotency-key-header#section-2.7", problem.RootElement.GetProperty("type").GetString());
            Assert.Equal("Idempotency key already used", problem.RootElement.GetProperty("title").GetString());
        }

        Assert.Equal(HttpStatusCode.Accepted, sameAgain.StatusCode);
        Assert.Equal(firstId, (await sameAgain.Content.ReadFromJsonAsync<OfferingAccepted>(Json))!.OfferingId);
        Assert.Equal(terms.Name, (await WaitForStageAsync(client, firstId, OfferingStage.AwaitingSignOffs)).Terms.Name);
    }

    [Fact]
    public async Task SignOffs_OverHttp_LaunchTheOfferingWithArtefactAndAudit()
    {
        var alice = Client("alice", "contoso", Roles.Partner, Roles.Approver);
        var id = await StartedOfferingAsync(alice);

        var pending = await alice.GetFromJsonAsync<List<PendingApproval>>("/api/approvals/pending", Json);
        Assert.Contains(pending!, p => p.OfferingId == id && p.GateId == "member-contoso");
        foreach (var (user, org, gate) in new[] { ("alice", "contoso", "member-contoso"), ("grace", "northwind", "member-northwind"), ("dan", "fabrikam", "member-fabrikam"), ("carol", "contoso", "sponsor"), ("ivan", "contoso", "legal") })
        {
            using var decided = await SignOffAsync(Client(user, org, Roles.Approver), id, gate, true, Examples.Terms().TermsHash);
            Assert.Equal(HttpStatusCode.Accepted, decided.StatusCode);
        }

        var launched = await WaitForStageAsync(alice, id, OfferingStage.Launched);
        Assert.NotNull(launched.SkuCode);
        using var sheet = await alice.GetAsync($"/api/offerings/{id}/artifacts/{WriteOfferingSheetActivity.MarkdownName}");
        Assert.Equal(HttpStatusCode.OK, sheet.StatusCode);
        Assert.Contains(launched.SkuCode, await sheet.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var audit = await alice.GetFromJsonAsync<List<JsonElement>>($"/api/offerings/{id}/audit", Json);
        Assert.Equal("offering.launched", audit![^1].GetProperty("action").GetString());
    }

    [Fact]
    public async Task Launched_View_KeepsWhoSignedEachGate()
    {
        var alice = Client("alice", "contoso", Roles.Partner, Roles.Approver);
        var id = await StartedOfferingAsync(alice);
        var signers = new[] { ("alice", "contoso", "member-contoso"), ("grace", "northwind", "member-northwind"), ("dan", "fabrikam", "member-fabrikam"), ("carol", "contoso", "sponsor"), ("ivan", "contoso", "legal") };
        foreach (var (user, org, gate) in signers)
        {
            using var decided = await SignOffAsync(Client(user, org, Roles.Approver), id, gate, true, Examples.Terms().TermsHash);
            Assert.Equal(HttpStatusCode.Accepted, decided.StatusCode);
        }

        var launched = await WaitForStageAsync(alice, id, OfferingStage.Launched);

        Assert.Equal(signers.Select(s => (s.Item3, "Approved", s.Item1)).Order(), launched.Gates.Select(g => (g.GateId, g.State, g.DecidedBy!)).Order());
    }

    [Fact]
    public async Task Amend_TermsAlreadyInForce_Is409AndStartsNoRound()
    {
        // A retried amendment whose first attempt went through asks for the terms now in force.
        var alice = Client("alice", "contoso", Roles.Partner, Roles.Approver);
        var id = await StartedOfferingAsync(alice);
        foreach (var (user, org, gate) in new[] { ("alice", "contoso", "member-contoso"), ("grace", "northwind", "member-northwind"), ("dan", "fabrikam", "member-fabrikam"), ("carol", "contoso", "sponsor"), ("ivan", "contoso", "legal") })
        {
            using var decided = await SignOffAsync(Client(user, org, Roles.Approver), id, gate, true, Examples.Terms().TermsHash);
            Assert.Equal(HttpStatusCode.Accepted, decided.StatusCode);
        }

        await WaitForStageAsync(alice, id, OfferingStage.Launched);

        using var amended = await alice.PostAsJsonAsync($"/api/offerings/{id}/amendments", new AmendmentRequest(Examples.Terms()), Json);

        Assert.Equal(HttpStatusCode.Conflict, amended.StatusCode);
        var view = await alice.GetFromJsonAsync<OfferingView>($"/api/offerings/{id}", Json);
        Assert.Equal(OfferingStage.Launched, view!.Stage);
    }

    [Fact]
    public async Task Approvals_ApproverOutsideTheMembers_ReadsTheTermsToSignAndTheirOwnDecisions()
    {
        var id = await StartedOfferingAsync(Client("alice", "contoso", Roles.Partner));
        var ivan = Client("ivan", null, Roles.Approver);

        var pending = (await ivan.GetFromJsonAsync<List<PendingApproval>>("/api/approvals/pending", Json))!.Single(p => p.OfferingId == id);
        using var dan = await SignOffAsync(Client("dan", "fabrikam", Roles.Approver), id, "member-fabrikam", true, pending.TermsHash);
        using var rejected = await SignOffAsync(ivan, id, pending.GateId, false, pending.TermsHash);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        Page<DecidedApproval> decided;
        while ((decided = (await ivan.GetFromJsonAsync<Page<DecidedApproval>>("/api/approvals/decided", Json))!).Items.Count == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        using var badToken = await ivan.GetAsync("/api/approvals/decided?continuationToken=%00");

        Assert.Equal(("legal", Examples.Terms().TermsHash, Examples.Terms().TermsHash, (OfferingTerms?)null), (pending.GateId, pending.TermsHash, pending.Terms.TermsHash, pending.TermsInForce));
        Assert.Equal((HttpStatusCode.Accepted, HttpStatusCode.Accepted), (dan.StatusCode, rejected.StatusCode));
        Assert.Equal([(id, Examples.Terms().Name, "legal", false, "reviewed")], decided.Items.Select(d => (d.OfferingId, d.OfferingName, d.GateId, d.Approved, d.Comment)));
        Assert.Equal(HttpStatusCode.BadRequest, badToken.StatusCode);
    }

    [Fact]
    public async Task Approvals_AmendmentRound_PendingGateCarriesTheProposedAndTheTermsInForce()
    {
        var alice = Client("alice", "contoso", Roles.Partner, Roles.Approver);
        var id = await StartedOfferingAsync(alice);
        foreach (var (user, org, gateId) in new[] { ("alice", "contoso", "member-contoso"), ("grace", "northwind", "member-northwind"), ("dan", "fabrikam", "member-fabrikam"), ("carol", "contoso", "sponsor"), ("ivan", "contoso", "legal") })
        {
            using var decided = await SignOffAsync(Client(user, org, Roles.Approver), id, gateId, true, Examples.Terms().TermsHash);
        }

        await WaitForStageAsync(alice, id, OfferingStage.Launched);
        var proposed = Examples.Terms() with { Description = "Managed detection and response, now with 24/7 threat hunting." };
        using var amended = await alice.PostAsJsonAsync($"/api/offerings/{id}/amendments", new AmendmentRequest(proposed), Json);
        Assert.Equal(HttpStatusCode.Accepted, amended.StatusCode);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        PendingApproval? gate = null;
        while (gate is null && DateTime.UtcNow < deadline)
        {
            gate = (await alice.GetFromJsonAsync<List<PendingApproval>>("/api/approvals/pending", Json))!.SingleOrDefault(p => p.OfferingId == id);
            await Task.Delay(50);
        }

        Assert.NotNull(gate);
        Assert.Equal((proposed.TermsHash, proposed.TermsHash, Examples.Terms().TermsHash), (gate.TermsHash, gate.Terms.TermsHash, gate.TermsInForce?.TermsHash));
    }

    [Fact]
    public async Task SignOff_SecondDecisionWrongApproverOrOldTerms_AreRefused()
    {
        var id = await StartedOfferingAsync(Client("alice", "contoso", Roles.Partner));
        var hash = Examples.Terms().TermsHash;

        using var first = await SignOffAsync(Client("dan", "fabrikam", Roles.Approver), id, "member-fabrikam", true, hash);
        using var second = await SignOffAsync(Client("erin", "fabrikam", Roles.Approver), id, "member-fabrikam", false, hash);
        using var stranger = await SignOffAsync(Client("mallory", "fabrikam", Roles.Approver), id, "member-contoso", true, hash);
        using var stale = await SignOffAsync(Client("alice", "contoso", Roles.Approver), id, "member-contoso", true, "v1:old");
        using var notApprover = await SignOffAsync(Client("alice", "contoso", Roles.Partner), id, "member-contoso", true, hash);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, stranger.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, notApprover.StatusCode);
    }

    [Fact]
    public async Task SignOff_SameDecisionRepeated_IsAcceptedAndRecordedOnce()
    {
        // A retried request or a redelivered Service Bus command (found by the fault suite, #8: it was
        // dead-lettered as "already decided" after taking effect, and a crash between claim and delivery
        // left the gate claimed but never decided).
        var alice = Client("alice", "contoso", Roles.Partner);
        var id = await StartedOfferingAsync(alice);
        var hash = Examples.Terms().TermsHash;
        var dan = Client("dan", "fabrikam", Roles.Approver);

        using var first = await SignOffAsync(dan, id, "member-fabrikam", true, hash);
        using var repeated = await SignOffAsync(dan, id, "member-fabrikam", true, hash);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((await alice.GetFromJsonAsync<OfferingView>($"/api/offerings/{id}", Json))!.Gates.Single(g => g.GateId == "member-fabrikam").State == "Pending" && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        using var afterRecorded = await SignOffAsync(dan, id, "member-fabrikam", true, hash);
        using var otherAnswer = await SignOffAsync(dan, id, "member-fabrikam", false, hash);
        var audit = await alice.GetFromJsonAsync<List<JsonElement>>($"/api/offerings/{id}/audit", Json);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, repeated.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, afterRecorded.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, otherAnswer.StatusCode);
        Assert.Single(audit!, e => e.GetProperty("action").GetString() == "signoff.recorded");
        Assert.DoesNotContain(audit!, e => e.GetProperty("action").GetString() == "signoff.ignored");
    }

    [Fact]
    public async Task Offering_ForeignOrganisation_Is404AndNonInitiatorCannotCancel()
    {
        var id = await StartedOfferingAsync(Client("alice", "contoso", Roles.Partner));

        using var foreign = await Client("zoe", "adatum", Roles.Partner).GetAsync($"/api/offerings/{id}");
        using var foreignAudit = await Client("zoe", "adatum", Roles.Partner).GetAsync($"/api/offerings/{id}/audit");
        using var memberCancel = await Client("dan", "fabrikam", Roles.Partner).PostAsJsonAsync($"/api/offerings/{id}/cancel", new ReasonRequest("no"), Json);
        using var retireEarly = await Client("alice", "contoso", Roles.Partner).PostAsJsonAsync($"/api/offerings/{id}/retire", new ReasonRequest("no"), Json);
        using var cancel = await Client("alice", "contoso", Roles.Partner).PostAsJsonAsync($"/api/offerings/{id}/cancel", new ReasonRequest("changed plans"), Json);

        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, foreignAudit.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, memberCancel.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, retireEarly.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        Assert.Equal("changed plans", (await WaitForStageAsync(Client("alice", "contoso", Roles.Partner), id, OfferingStage.Cancelled)).Reason);
    }

    [Fact]
    public async Task List_ReturnsOnlyTheCallersOfferings()
    {
        var id = await StartedOfferingAsync(Client("alice", "contoso", Roles.Partner));

        var mine = await Client("grace", "northwind", Roles.Partner).GetFromJsonAsync<JsonElement>("/api/offerings", Json);
        var theirs = await Client("zoe", "adatum", Roles.Partner).GetFromJsonAsync<JsonElement>("/api/offerings", Json);

        Assert.Contains(mine.GetProperty("items").EnumerateArray(), o => o.GetProperty("offeringId").GetString() == id);
        Assert.Empty(theirs.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task Partners_RegisterOwnOnlyValidatedOnce()
    {
        var adatum = Examples.Vendor with { PartnerId = "adatum", Name = "Adatum" };

        using var other = await Client("zoe", "adatum", Roles.Partner).PostAsJsonAsync("/api/partners", Examples.Vendor with { PartnerId = "woodgrove" }, Json);
        using var invalid = await Client("zoe", "adatum", Roles.Partner).PostAsJsonAsync("/api/partners", adatum with { Approvers = [] }, Json);
        using var created = await Client("zoe", "adatum", Roles.Partner).PostAsJsonAsync("/api/partners", adatum, Json);
        using var again = await Client("zoe", "adatum", Roles.Partner).PostAsJsonAsync("/api/partners", adatum, Json);
        using var byOperator = await Client("olivia", null, Roles.Operator).PostAsJsonAsync("/api/partners", Examples.Vendor with { PartnerId = "woodgrove" }, Json);
        using var missing = await Client("zoe", "adatum", Roles.Partner).GetAsync("/api/partners/nobody");

        Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal(HttpStatusCode.Created, byOperator.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("Adatum", _app.Ports.Partners["adatum"].Name);
    }

    [Fact]
    public async Task OpenApi_DescribesEveryApiEndpointAnonymously()
    {
        using var anonymous = _app.CreateClient();

        using var document = JsonDocument.Parse(await anonymous.GetStringAsync("/openapi/v1.json"));
        using var ui = await anonymous.GetAsync("/scalar/v1");

        var paths = document.RootElement.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/api/offerings", paths);
        Assert.Contains("/api/offerings/{offeringId}/signoffs/{gateId}", paths);
        Assert.Contains("/api/partners/{partnerId}", paths);
        Assert.Contains("/api/approvals/pending", paths);
        Assert.Equal(HttpStatusCode.OK, ui.StatusCode);
    }

    [Fact]
    public async Task Offering_SupportPlan_IsItsThreeOwnersInViewListAndOpenApi()
    {
        var alice = Client("alice", "contoso", Roles.Partner);
        var id = await StartedOfferingAsync(alice);

        var view = await alice.GetFromJsonAsync<JsonElement>($"/api/offerings/{id}", Json);
        var list = await alice.GetFromJsonAsync<JsonElement>("/api/offerings", Json);
        var openApi = await _app.CreateClient().GetStringAsync("/openapi/v1.json");

        string[] owners = ["l1Owner", "l2Owner", "l3Owner"];
        Assert.Equal(owners, view.GetProperty("terms").GetProperty("supportPlan").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        var listed = list.GetProperty("items").EnumerateArray().Single(o => o.GetProperty("offeringId").GetString() == id);
        Assert.Equal(owners, listed.GetProperty("terms").GetProperty("supportPlan").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.DoesNotContain("ValueTuple", openApi, StringComparison.Ordinal);
        Assert.DoesNotContain("escalationPath", openApi, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ManagementApi_CustomStatusAndInput_UseTheApisEnumStrings()
    {
        var id = await StartedOfferingAsync(Client("alice", "contoso", Roles.Partner));

        var status = await Client("olivia", null, Roles.Operator).GetFromJsonAsync<JsonElement>($"/webhooks/durabletask/instances/{id}", Json);

        var custom = status.GetProperty("customStatus");
        Assert.Equal("AwaitingSignOffs", custom.GetProperty("stage").GetString());
        Assert.Contains(custom.GetProperty("gates").EnumerateArray(), g => g.GetProperty("kind").GetString() == "MemberApproval");
        Assert.Equal("Lead", status.GetProperty("input").GetProperty("terms").GetProperty("members")[0].GetProperty("role").GetString());
    }

    [Fact]
    public async Task NotFound_NamesWhatWasNotFound()
    {
        var alice = Client("alice", "contoso", Roles.Partner);
        var id = await StartedOfferingAsync(alice);
        var hash = Examples.Terms().TermsHash;

        using var artefact = await alice.GetAsync($"/api/offerings/{id}/artifacts/nope.txt");
        using var otherGate = await SignOffAsync(Client("dan", "fabrikam", Roles.Approver), id, "sponsor", true, hash);
        using var noGateAtAll = await SignOffAsync(Client("mallory", "fabrikam", Roles.Approver), id, "sponsor", true, hash);
        using var offering = await alice.GetAsync("/api/offerings/off-nope");

        Assert.Equal($"Offering '{id}' has no artefact 'nope.txt'.", await DetailAsync(artefact, HttpStatusCode.NotFound));
        Assert.Equal($"Offering '{id}' has no gate 'sponsor' assigned to you.", await DetailAsync(otherGate, HttpStatusCode.NotFound));
        Assert.Equal($"No offering '{id}' visible to you.", await DetailAsync(noGateAtAll, HttpStatusCode.NotFound));
        Assert.Equal("No offering 'off-nope' visible to you.", await DetailAsync(offering, HttpStatusCode.NotFound));
    }

    [Theory]
    [InlineData("/api/offerings", "post", "202 400 401 403 413 415 422 429 503")]
    [InlineData("/api/offerings", "get", "200 400 401 403 429 503")]
    [InlineData("/api/offerings/{offeringId}", "get", "200 401 403 404 429 503")]
    [InlineData("/api/offerings/{offeringId}/signoffs/{gateId}", "post", "202 400 401 403 404 409 413 415 429 503")]
    [InlineData("/api/offerings/{offeringId}/cancel", "post", "202 400 401 403 404 409 413 415 429 503")]
    [InlineData("/api/offerings/{offeringId}/amendments", "post", "202 400 401 403 404 409 413 415 429 503")]
    [InlineData("/api/offerings/{offeringId}/retire", "post", "202 400 401 403 404 409 413 415 429 503")]
    [InlineData("/api/offerings/{offeringId}/audit", "get", "200 401 403 404 429 503")]
    [InlineData("/api/offerings/{offeringId}/artifacts/{name}", "get", "200 401 403 404 429 503")]
    [InlineData("/api/approvals/pending", "get", "200 401 403 429 503")]
    [InlineData("/api/approvals/decided", "get", "200 400 401 403 429 503")]
    [InlineData("/api/partners", "post", "201 400 401 403 409 413 415 429 503")]
    [InlineData("/api/partners/{partnerId}", "put", "200 400 401 403 404 413 415 429 503")]
    [InlineData("/api/partners/{partnerId}", "get", "200 401 403 404 429 503")]
    [InlineData("/webhooks/durabletask/instances/{instanceId}", "get", "401 403 429 503")]
    public async Task OpenApi_Operation_NeedsBearerAndListsEveryStatusWithProblemDetails(string path, string method, string statuses)
    {
        using var document = JsonDocument.Parse(await _app.CreateClient().GetStringAsync("/openapi/v1.json"));

        var scheme = document.RootElement.GetProperty("components").GetProperty("securitySchemes").GetProperty("Bearer");
        var operation = document.RootElement.GetProperty("paths").GetProperty(path).GetProperty(method);
        var responses = operation.GetProperty("responses");

        Assert.Equal("http", scheme.GetProperty("type").GetString());
        Assert.Equal("bearer", scheme.GetProperty("scheme").GetString());
        Assert.Contains(operation.GetProperty("security").EnumerateArray(), r => r.TryGetProperty("Bearer", out _));
        foreach (var status in statuses.Split(' '))
        {
            Assert.True(responses.TryGetProperty(status, out var response), $"{method} {path} does not list {status}");
            if (status[0] is '4' or '5')
            {
                Assert.True(response.GetProperty("content").TryGetProperty("application/problem+json", out _), $"{method} {path} {status} is not problem details");
            }
        }
    }

    [Fact]
    public async Task ManagementApi_IsOperatorOnly()
    {
        using var partner = await Client("alice", "contoso", Roles.Partner).GetAsync("/webhooks/durabletask/instances");
        using var op = await Client("olivia", null, Roles.Operator).GetAsync("/webhooks/durabletask/instances");

        Assert.Equal(HttpStatusCode.Forbidden, partner.StatusCode);
        Assert.Equal(HttpStatusCode.OK, op.StatusCode);
    }

    private static async Task<string?> DetailAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        Assert.Equal(expected, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return problem.RootElement.GetProperty("detail").GetString();
    }

    private HttpClient Client(string user, string? org, params string[] roles)
    {
        var client = _app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", DevelopmentTokens.Mint(Auth, user, org, roles, TimeSpan.FromMinutes(10), DateTimeOffset.UtcNow));
        return client;
    }

    private static async Task<HttpResponseMessage> StartAsync(HttpClient client, OfferingTerms terms, string key, int signOffWindowDays = 10)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/offerings") { Content = JsonContent.Create(new StartOfferingRequest(terms, signOffWindowDays), options: Json) };
        request.Headers.Add(JointOfferingApi.IdempotencyKeyHeader, key);
        return await client.SendAsync(request);
    }

    private static Task<HttpResponseMessage> SignOffAsync(HttpClient client, string id, string gate, bool approve, string hash) =>
        client.PostAsJsonAsync($"/api/offerings/{id}/signoffs/{gate}", new SignOffRequest(approve, "reviewed", hash), Json);

    private static async Task<string> StartedOfferingAsync(HttpClient client)
    {
        using var response = await StartAsync(client, Examples.Terms(), Guid.NewGuid().ToString());
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<OfferingAccepted>(Json))!.OfferingId;
        await WaitForStageAsync(client, id, OfferingStage.AwaitingSignOffs);
        return id;
    }

    private static async Task<OfferingView> WaitForStageAsync(HttpClient client, string id, OfferingStage stage)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        OfferingView? view = null;
        while (DateTime.UtcNow < deadline)
        {
            using var response = await client.GetAsync($"/api/offerings/{id}");
            if (response.StatusCode == HttpStatusCode.OK)
            {
                view = await response.Content.ReadFromJsonAsync<OfferingView>(Json);
                if (view!.Stage == stage)
                {
                    return view;
                }
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"offering {id} did not reach {stage}; last seen {view?.Stage}");
    }
}
