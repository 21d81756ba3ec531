using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace EcosystemFlows.Web.Tests;

/// <summary>The pages on a phone and at 200 % zoom (half the CSS pixels of a laptop screen), and by keyboard.</summary>
[Collection(WebAppCollection.Name)]
public sealed class ReadabilityTests(WebAppFixture app)
{
    [Theory]
    [InlineData("phone", 390, 844, 3)]
    [InlineData("zoom-200", 640, 450, 2)]
    public async Task Partner_OnASmallScreen_ReadsEveryPageWithoutScrollingSideways(string screen, int width, int height, float scale)
    {
        var offering = await app.StartAwaitingAsync(app.Terms($"Small screen {screen}"));
        await using var alice = await BrowserUser.SignInAsync(app, new ViewportSize { Width = width, Height = height }, scale, $"small-{screen}", "alice", "contoso", "partner", "approver", "operator");
        var page = alice.Page;

        // Each page with the last thing it shows once its data is in.
        foreach (var (route, heading, loaded) in new[]
        {
            ($"#/offerings/{offering.OfferingId}", offering.Terms.Name, "Audit trail"),
            ("#/offerings", "Offerings of contoso", offering.Terms.Name),
            ("#/offerings/new", "Start an offering", "Pricing"),
            ("#/inbox", "Approvals inbox", "My decisions"),
            ("#/monitor", "Operations monitor", offering.OfferingId),
        })
        {
            await page.GotoAsync($"/app/{route}");
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = heading, Level = 1 })).ToBeVisibleAsync();
            await Expect(page.GetByText(loaded, new() { Exact = true }).First).ToBeVisibleAsync();
            // Wide tables scroll inside their own region; the page itself never does.
            Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), $"{route} scrolls sideways at {width}x{height}");
            await alice.CheckPageAsync(route.TrimStart('#', '/').Replace('/', '-'));
        }
    }

    [Fact]
    public async Task Approver_ByKeyboardOnly_SkipsToTheInboxAndApproves()
    {
        var offering = await app.StartAwaitingAsync(app.Terms("Keyboard"));
        await using var ivan = await BrowserUser.SignInAsync(app, "keyboard", "ivan", null, "approver");
        var page = ivan.Page;
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Approvals inbox" })).ToBeVisibleAsync();

        // Keyboard focus goes to the page in front: make sure it is this one. After a route renders, the app moves
        // focus to the main region; wait for that, so no later focus change races the keys pressed below.
        await page.BringToFrontAsync();
        var main = page.Locator("#main");
        await Expect(main).ToBeFocusedAsync();

        // The skip link is the first stop of the tab order, where a keyboard user starts on a page.
        var skip = page.GetByRole(AriaRole.Link, new() { Name = "Skip to content" });
        Assert.True(await skip.EvaluateAsync<bool>(
            "link => link === document.querySelector('a[href], button, input, select, textarea, [tabindex]:not([tabindex=\"-1\"])')"));
        await skip.FocusAsync();
        await Expect(skip).ToBeInViewportAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(main).ToBeFocusedAsync();
        var card = page.GetByRole(AriaRole.Article, new() { Name = $"{offering.Terms.Name}: legal" });
        await card.GetByLabel("Comment").FocusAsync();
        await page.Keyboard.TypeAsync("Liability cap is fine");
        await page.Keyboard.PressAsync("Tab");
        await Expect(card.GetByRole(AriaRole.Button, new() { Name = "Approve" })).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Enter");

        await Expect(card).ToContainTextAsync("You approved legal");

        // Ivan's organisation is not a member: the gate still shows the terms he signs, and his history their name.
        await Expect(card.GetByRole(AriaRole.Table, new() { Name = "Members and revenue split" })).ToContainTextAsync("20 %");
        await page.ReloadAsync();
        var decision = page.GetByRole(AriaRole.Table, new() { Name = "My decisions" }).GetByRole(AriaRole.Row).Filter(new() { HasText = offering.Terms.Name });
        await Expect(decision).ToContainTextAsync("Approved");
        await Expect(decision).ToContainTextAsync("Liability cap is fine");
    }
}
