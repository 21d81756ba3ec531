using EcosystemFlows.Workflows.JointOffering;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace EcosystemFlows.Web.Tests;

/// <summary>Partners: start an offering through the form, follow it to launch; outsiders see nothing of it.</summary>
[Collection(WebAppCollection.Name)]
public sealed class PartnerPagesTests(WebAppFixture app)
{
    [Fact]
    public async Task Partner_StartsAnOfferingThroughTheForm_FollowsItToLaunched()
    {
        await using var alice = await BrowserUser.SignInAsync(app, "partner-start", "alice", "contoso", "partner", "approver");
        var page = alice.Page;
        var terms = app.Terms("Form start");
        alice.ExpectHttpStatus(400);

        // The form, filled in by hand; the revenue split first adds up to 90 %, which the API refuses.
        await page.GetByRole(AriaRole.Link, new() { Name = "Start an offering" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Start an offering" })).ToBeVisibleAsync();
        await page.GetByLabel("Name").FillAsync(terms.Name);
        await page.GetByLabel("Catalog").FillAsync(terms.CatalogId);
        await page.GetByLabel("Category").FillAsync(terms.Category);
        await page.GetByLabel("Launch date").FillAsync(terms.LaunchDate.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        await page.GetByLabel("Description").FillAsync(terms.Description);
        await page.GetByLabel("Value proposition").FillAsync(terms.ValueProposition);
        for (var i = 0; i < terms.Members.Count; i++)
        {
            var member = page.GetByRole(AriaRole.Group, new() { Name = $"Member {i + 1}" });
            await member.GetByLabel("Partner id").FillAsync(terms.Members[i].PartnerId);
            await member.GetByLabel("Role").SelectOptionAsync(terms.Members[i].Role.ToString());
            await member.GetByLabel("Revenue share (%)").FillAsync(i == 0 ? "40" : terms.Members[i].RevenueSharePercent.ToString(System.Globalization.CultureInfo.InvariantCulture));
            await member.GetByLabel("Responsibilities").FillAsync(string.Join("; ", terms.Members[i].Responsibilities));
        }

        await page.GetByLabel("L1 owner").FillAsync(terms.SupportPlan.L1Owner);
        await page.GetByLabel("L2 owner").FillAsync(terms.SupportPlan.L2Owner);
        await page.GetByLabel("L3 owner").FillAsync(terms.SupportPlan.L3Owner);
        await page.GetByLabel("List price").FillAsync(terms.Pricing.ListPrice.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await page.GetByRole(AriaRole.Button, new() { Name = "Start the offering" }).ClickAsync();

        // The API's problem details, shown to the user.
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("revenue shares must total exactly 100 %");
        await alice.CheckPageAsync("start-form-errors");

        await page.GetByRole(AriaRole.Group, new() { Name = "Member 1" }).GetByLabel("Revenue share (%)").FillAsync("50");
        await page.GetByRole(AriaRole.Button, new() { Name = "Start the offering" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = terms.Name, Level = 1 })).ToBeVisibleAsync();
        await Expect(page.Locator("svg.timeline title")).ToHaveTextAsync("Stage 4 of 8: Awaiting sign offs");
        await alice.CheckPageAsync("offering-awaiting");

        // The approvers sign elsewhere; the open page follows the offering to launch without a reload.
        var offeringId = page.Url.Split('/').Last();
        var awaiting = await app.WaitForStageAsync(offeringId, OfferingStage.AwaitingSignOffs);
        await app.SignAsync(awaiting, awaiting.TermsHash, approve: true);
        await Expect(page.Locator("svg.timeline title")).ToHaveTextAsync("Stage 8 of 8: Launched");
        await Expect(page.GetByText("SKU JO-")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Audit trail" })).ToContainTextAsync("offering.launched");

        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Download offering-sheet.md" }).ClickAsync());
        Assert.Equal("offering-sheet.md", download.SuggestedFilename);
        Assert.Contains(terms.Name, await File.ReadAllTextAsync(await download.PathAsync()), StringComparison.Ordinal);
        await alice.CheckPageAsync("offering-launched");

        // The list: filtered by stage and name, with the filters in the URL.
        await page.GetByRole(AriaRole.Link, new() { Name = "Offerings", Exact = true }).ClickAsync();
        await page.GetByLabel("Stage").SelectOptionAsync(nameof(OfferingStage.Launched));
        await page.GetByLabel("Name contains").FillAsync(terms.Name);
        await page.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("stage=Launched"));
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = terms.Name })).ToBeVisibleAsync();
        await alice.CheckPageAsync("offerings");
    }

    [Fact]
    public async Task Outsider_OpensAnotherOrganisationsOffering_SeesNothingOfIt()
    {
        var offering = await app.StartAwaitingAsync(app.Terms("Private"));
        await using var mallory = await BrowserUser.SignInAsync(app, "outsider", "mallory", "adatum", "partner", "approver");
        mallory.ExpectHttpStatus(404);
        var page = mallory.Page;

        await page.GotoAsync($"/app/#/offerings/{offering.OfferingId}");

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Offering not found" })).ToBeVisibleAsync();
        await Expect(page.GetByText(offering.Terms.Name)).ToHaveCountAsync(0);
        await mallory.CheckPageAsync("offering-not-found");
        await page.GetByRole(AriaRole.Link, new() { Name = "Back to your offerings" }).ClickAsync();
        await Expect(page.GetByText("No offering matches.")).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Approvals inbox" }).ClickAsync();
        await Expect(page.GetByText("Nothing is waiting for you.")).ToBeVisibleAsync();
    }
}
