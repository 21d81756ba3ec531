using System.Text.RegularExpressions;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace EcosystemFlows.Web.Tests;

/// <summary>
/// One person in their own browser context, signed in through the development sign-in page. Collects the browser's
/// console errors and page errors: disposing fails the test if any appeared that the test did not expect.
/// Every page the test visits is checked with axe (no serious or critical violation) and photographed.
/// </summary>
public sealed partial class BrowserUser : IAsyncDisposable
{
    private readonly IBrowserContext _context;
    private readonly List<string> _errors = [];
    private readonly HashSet<int> _expectedStatuses = [];
    private readonly string _name;

    private BrowserUser(IBrowserContext context, IPage page, string name)
    {
        _context = context;
        Page = page;
        _name = name;
        page.Console += (_, message) =>
        {
            if (message.Type == "error" && !IsExpected(message.Text))
            {
                lock (_errors)
                {
                    _errors.Add($"console: {message.Text} ({message.Location})");
                }
            }
        };
        page.PageError += (_, error) =>
        {
            lock (_errors)
            {
                _errors.Add($"page error: {error}");
            }
        };
    }

    public IPage Page { get; }

    /// <summary>Opens a browser context (en-GB, Europe/Berlin) and signs in with the development sign-in form.</summary>
    public static Task<BrowserUser> SignInAsync(WebAppFixture app, string name, string user, string? org, params string[] roles) =>
        SignInAsync(app, new ViewportSize { Width = 1280, Height = 900 }, 1, name, user, org, roles);

    /// <summary>As above on a screen of <paramref name="viewport"/> CSS pixels at <paramref name="scale"/> (2: 200 % zoom).</summary>
    public static async Task<BrowserUser> SignInAsync(WebAppFixture app, ViewportSize viewport, float scale, string name, string user, string? org, params string[] roles)
    {
        var context = await app.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = app.App.BaseAddress.ToString(),
            Locale = "en-GB",
            TimezoneId = "Europe/Berlin",
            ViewportSize = viewport,
            DeviceScaleFactor = scale,
            AcceptDownloads = true,
        });
        context.SetDefaultTimeout(30_000);
        var page = await context.NewPageAsync();
        var person = new BrowserUser(context, page, name);
        await page.GotoAsync("/app/");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Development sign-in" })).ToBeVisibleAsync();
        await person.CheckPageAsync("sign-in");
        await page.GetByLabel("User id").FillAsync(user);
        await page.GetByLabel("Organisation").FillAsync(org ?? "");
        foreach (var role in new[] { "partner", "approver", "operator" })
        {
            await page.GetByRole(AriaRole.Checkbox, new() { Name = role, Exact = true }).SetCheckedAsync(roles.Contains(role));
        }

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
        await Assertions.Expect(page.GetByText($"Signed in as {user}")).ToBeVisibleAsync();
        return person;
    }

    /// <summary>Failed requests with this status are part of the story (a 404 for an outsider, a 409 conflict), not errors.</summary>
    public void ExpectHttpStatus(int status) => _expectedStatuses.Add(status);

    /// <summary>Runs axe on the page as it is now (0 serious or critical violations) and saves a full-page screenshot.</summary>
    public Task CheckPageAsync(string page) => CheckPageAsync(Page, $"{_name}-{page}");

    /// <summary>As above for any page; the screenshot is <paramref name="name"/>.png.</summary>
    public static async Task CheckPageAsync(IPage page, string name)
    {
        ArgumentNullException.ThrowIfNull(page);
        var result = await page.RunAxe();
        var serious = result.Violations.Where(v => v.Impact is "serious" or "critical").ToList();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(WebAppFixture.ScreenshotDirectory, $"{name}.png"), FullPage = true });
        Assert.True(serious.Count == 0, $"axe on {name}: " + string.Join("\n", serious.Select(v => $"{v.Impact} {v.Id}: {v.Help} at {string.Join(", ", v.Nodes.Select(n => n.Target?.ToString()))}")));
    }

    public async ValueTask DisposeAsync()
    {
        // The page as the test left it: on a failure, what the user saw.
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(WebAppFixture.ScreenshotDirectory, $"{_name}-last.png"), FullPage = true });
        await _context.DisposeAsync();
        lock (_errors)
        {
            Assert.True(_errors.Count == 0, $"the browser reported errors:\n{string.Join("\n", _errors)}");
        }
    }

    private bool IsExpected(string text) =>
        FailedStatus().Match(text) is { Success: true } match && _expectedStatuses.Contains(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));

    [GeneratedRegex(@"^Failed to load resource: the server responded with a status of (\d{3})")]
    private static partial Regex FailedStatus();
}
