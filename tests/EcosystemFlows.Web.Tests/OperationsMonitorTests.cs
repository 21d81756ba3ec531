using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace EcosystemFlows.Web.Tests;

/// <summary>Operators: find an instance, terminate it (a bulk action on the filtered list), then restart it.</summary>
[Collection(WebAppCollection.Name)]
public sealed class OperationsMonitorTests(WebAppFixture app)
{
    [Fact]
    public async Task Operator_TerminatesAnInstanceThenRestartsIt()
    {
        var offering = await app.StartAwaitingAsync(app.Terms("Operated"));
        await using var olivia = await BrowserUser.SignInAsync(app, "operator", "olivia", null, "operator");
        var page = olivia.Page;

        await page.GetByLabel("Runtime status").SelectOptionAsync("Running");
        await page.GetByLabel("Instance id starts with").FillAsync(offering.OfferingId);
        await page.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"status=Running.*prefix={offering.OfferingId}"));
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = offering.OfferingId, Exact = true })).ToBeVisibleAsync();
        await olivia.CheckPageAsync("monitor");

        await page.GetByRole(AriaRole.Checkbox, new() { Name = "Select every instance shown" }).CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Terminate selected" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToContainTextAsync(offering.OfferingId);
        await olivia.CheckPageAsync("monitor-confirm");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Terminate" }).ClickAsync();
        // The result in the page (the screen-reader announcement outside main says the same).
        var result = page.Locator("main").GetByRole(AriaRole.Status).Filter(new() { HasText = "Terminate:" });
        await Expect(result).ToContainTextAsync("1 of 1 accepted");
        await Expect(result.GetByRole(AriaRole.Listitem)).ToHaveTextAsync($"Accepted {offering.OfferingId}: Accepted");

        await page.GetByLabel("Runtime status").SelectOptionAsync("Terminated");
        await page.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = offering.OfferingId, Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = $"Instance {offering.OfferingId}" })).ToBeVisibleAsync();
        await Expect(page.Locator("main")).ToContainTextAsync("Terminated");
        await page.GetByRole(AriaRole.Button, new() { Name = "Restart" }).ClickAsync();
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Restart" }).ClickAsync();

        await Expect(page.Locator("main").GetByText("Restart: accepted.")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Terminate" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "History" })).ToContainTextAsync("ExecutionStarted");
        await olivia.CheckPageAsync("instance");
    }
}
