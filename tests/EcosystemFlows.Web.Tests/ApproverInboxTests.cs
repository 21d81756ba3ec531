using System.Net.Http.Json;
using EcosystemFlows.Api.Offerings;
using EcosystemFlows.Domain.Offerings;
using EcosystemFlows.IntegrationTests.EndToEnd;
using EcosystemFlows.Workflows.JointOffering;
using EcosystemFlows.Workflows.Security;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace EcosystemFlows.Web.Tests;

/// <summary>Approvers: sign the last gate, reject with a comment, and learn that the terms changed under them.</summary>
[Collection(WebAppCollection.Name)]
public sealed class ApproverInboxTests(WebAppFixture app)
{
    [Fact]
    public async Task Approver_SignsTheLastGate_PartnerSeesTheOfferingLaunch()
    {
        var offering = await app.StartAwaitingAsync(app.Terms("Last gate"));
        await app.SignAsync(offering, offering.TermsHash, approve: true, except: "member-fabrikam");
        await using var alice = await BrowserUser.SignInAsync(app, "partner-follows", "alice", "contoso", "partner");
        await alice.Page.GotoAsync($"/app/#/offerings/{offering.OfferingId}");
        await Expect(alice.Page.Locator("svg.timeline title")).ToHaveTextAsync("Stage 4 of 8: Awaiting sign offs");

        await using var dan = await BrowserUser.SignInAsync(app, "approver-signs", "dan", "fabrikam", "partner", "approver");
        await dan.Page.GetByRole(AriaRole.Link, new() { Name = "Approvals inbox" }).ClickAsync();
        var card = dan.Page.GetByRole(AriaRole.Article, new() { Name = $"{offering.Terms.Name}: member-fabrikam" });
        await Expect(card).ToContainTextAsync("due in 10 days");
        await Expect(card.Locator("time")).ToContainTextAsync("CET");
        await Expect(card.GetByRole(AriaRole.Table, new() { Name = "Members and revenue split" })).ToContainTextAsync("20 %");
        await Expect(card).ToContainTextAsync("L1 fabrikam → L2 northwind → L3 contoso");
        await dan.CheckPageAsync("inbox");
        await card.GetByLabel("Comment").FillAsync("Fabrikam lists it in the EU catalog");
        await card.GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();

        await Expect(card).ToContainTextAsync("You approved member-fabrikam");
        await Expect(dan.Page.GetByRole(AriaRole.Table, new() { Name = "My decisions" })).ToContainTextAsync(offering.Terms.Name);
        await Expect(alice.Page.Locator("svg.timeline title")).ToHaveTextAsync("Stage 8 of 8: Launched");
        await Expect(alice.Page.GetByRole(AriaRole.Table, new() { Name = "Governance gates" })).ToContainTextAsync("Fabrikam lists it in the EU catalog");
        await alice.CheckPageAsync("offering-launched-live");
    }

    [Fact]
    public async Task Approver_RejectsWithAComment_PartnerSeesTheReason()
    {
        var offering = await app.StartAwaitingAsync(app.Terms("Rejected"));
        await using var grace = await BrowserUser.SignInAsync(app, "approver-rejects", "grace", "northwind", "partner", "approver");
        await grace.Page.GetByRole(AriaRole.Link, new() { Name = "Approvals inbox" }).ClickAsync();
        var card = grace.Page.GetByRole(AriaRole.Article, new() { Name = $"{offering.Terms.Name}: member-northwind" });

        await card.GetByRole(AriaRole.Button, new() { Name = "Reject" }).ClickAsync();
        await Expect(card.GetByRole(AriaRole.Alert)).ToHaveTextAsync("A rejection needs a comment: tell the members what to change.");
        await card.GetByLabel("Comment").FillAsync("L2 hours do not cover weekends");
        await card.GetByRole(AriaRole.Button, new() { Name = "Reject" }).ClickAsync();
        await Expect(card).ToContainTextAsync("You rejected member-northwind");

        await using var alice = await BrowserUser.SignInAsync(app, "partner-rejected", "alice", "contoso", "partner");
        await alice.Page.GotoAsync($"/app/#/offerings/{offering.OfferingId}");
        await Expect(alice.Page.Locator("svg.timeline title")).ToHaveTextAsync("Stage 5 of 5: Rejected");
        await Expect(alice.Page.Locator(".notice.bad")).ToHaveTextAsync("member-northwind rejected by grace: L2 hours do not cover weekends");
        await Expect(alice.Page.GetByRole(AriaRole.Table, new() { Name = "Audit trail" })).ToContainTextAsync("member-northwind rejected: L2 hours do not cover weekends");
        await alice.CheckPageAsync("offering-rejected");
    }

    [Fact]
    public async Task Approver_DecidesOnTermsThatChangedMeanwhile_IsToldNothingWasRecorded()
    {
        // A launched offering with an amendment waiting for alice's gate.
        var terms = app.Terms("Amended");
        var offering = await app.StartAwaitingAsync(terms);
        await app.SignAsync(offering, offering.TermsHash, approve: true);
        await app.WaitForStageAsync(offering.OfferingId, OfferingStage.Launched);
        var first = terms with { Pricing = terms.Pricing with { ListPrice = 1599m } };
        var firstRound = await AmendAsync(offering.OfferingId, first);

        await using var alice = await BrowserUser.SignInAsync(app, "approver-stale", "alice", "contoso", "partner", "approver");
        alice.ExpectHttpStatus(409);
        await alice.Page.GetByRole(AriaRole.Link, new() { Name = "Approvals inbox" }).ClickAsync();
        var card = alice.Page.GetByRole(AriaRole.Article, new() { Name = $"{terms.Name}: member-contoso" });
        await Expect(card.GetByRole(AriaRole.Listitem).Filter(new() { HasText = "pricing.listPrice" })).ToContainTextAsync("1599");
        await card.GetByLabel("Comment").FillAsync("The new price works for us");

        // Meanwhile Northwind rejects that amendment and Contoso proposes another.
        using var grace = app.As("grace", "northwind", Roles.Approver);
        using var rejected = await grace.PostAsJsonAsync($"/api/offerings/{offering.OfferingId}/signoffs/member-northwind", new SignOffRequest(false, "too expensive", first.TermsHash), OfferingsApi.Json);
        Assert.True(rejected.IsSuccessStatusCode, await rejected.Content.ReadAsStringAsync());
        await app.WaitForStageAsync(offering.OfferingId, OfferingStage.Launched);
        var second = terms with { Pricing = terms.Pricing with { ListPrice = 1549m } };
        await AmendAsync(offering.OfferingId, second);
        await app.WaitForPendingAsync("alice", offering.OfferingId, second.TermsHash);
        Assert.Equal(OfferingStage.Amending, firstRound.Stage);

        await card.GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();

        await Expect(card.GetByRole(AriaRole.Alert)).ToContainTextAsync("The terms changed since this page showed them: your decision was not recorded.");
        await alice.CheckPageAsync("inbox-terms-changed");
        await card.GetByRole(AriaRole.Button, new() { Name = "Show the current state" }).ClickAsync();
        await Expect(alice.Page.GetByRole(AriaRole.Article, new() { Name = $"{terms.Name}: member-contoso" }).GetByRole(AriaRole.Listitem).Filter(new() { HasText = "pricing.listPrice" }))
            .ToContainTextAsync("1549");
    }

    private async Task<OfferingView> AmendAsync(string offeringId, OfferingTerms terms)
    {
        using var alice = app.As("alice", "contoso", Roles.Partner);
        using var amended = await alice.PostAsJsonAsync($"/api/offerings/{offeringId}/amendments", new AmendmentRequest(terms), OfferingsApi.Json);
        Assert.True(amended.IsSuccessStatusCode, await amended.Content.ReadAsStringAsync());
        return await app.WaitForStageAsync(offeringId, OfferingStage.Amending);
    }
}
