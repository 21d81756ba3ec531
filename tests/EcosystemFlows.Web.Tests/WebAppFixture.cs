using System.Net.Http.Json;
using EcosystemFlows.Api.Offerings;
using EcosystemFlows.Api.Security;
using EcosystemFlows.Domain.Offerings;
using EcosystemFlows.Domain.Tests;
using EcosystemFlows.IntegrationTests;
using EcosystemFlows.IntegrationTests.EndToEnd;
using EcosystemFlows.Workflows.JointOffering;
using EcosystemFlows.Workflows.Security;
using Microsoft.Playwright;

namespace EcosystemFlows.Web.Tests;

/// <summary>
/// The app as a process in Development (so the development sign-in exists) on the local services, with a database and
/// task hub of its own, the example partners registered, and one headless Debian Chromium shared by the tests.
/// </summary>
public sealed class WebAppFixture : IAsyncLifetime
{
    /// <summary>Debian's Chromium (eng/chromium.sh); ECOFLOWS_CHROMIUM points elsewhere.</summary>
    public static string ChromiumPath => Environment.GetEnvironmentVariable("ECOFLOWS_CHROMIUM") is { Length: > 0 } path ? path : "/usr/lib/chromium/chromium";

    private readonly string _run = Guid.NewGuid().ToString("N")[..8];
    private AppProcess? _app;
    private IPlaywright? _playwright;

    internal AppProcess App => _app ?? throw new InvalidOperationException("not started");

    public IBrowser Browser { get; private set; } = null!;

    public AuthOptions Auth { get; private set; } = null!;

    /// <summary>Where screenshots go: .local/screenshots (ECOFLOWS_LOCAL_DIR moves .local).</summary>
    public static string ScreenshotDirectory => Path.Combine(LocalServices.LocalDirectory, "screenshots");

    public async Task InitializeAsync()
    {
        var settings = AppProcess.IsolatedSettings($"web{_run}");
        settings["ASPNETCORE_ENVIRONMENT"] = "Development";
        settings["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning";
        _app = AppProcess.Start(settings);
        using var live = await _app.WaitUntilLiveAsync(TimeSpan.FromSeconds(90));
        Auth = new AuthOptions { Audience = settings["Auth__Audience"], DevelopmentSigningKey = settings["Auth__DevelopmentSigningKey"] };
        await OfferingsApi.RegisterPartnersAsync(_app, Auth);
        Directory.CreateDirectory(ScreenshotDirectory);
        // Stages move in seconds on the local services, and pages follow them by polling every 3 s.
        Assertions.SetDefaultExpectTimeout(45_000);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = ChromiumPath, Headless = true });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    /// <summary>An API client for a user (the tests' other actors: approvers signing elsewhere, partners amending).</summary>
    public HttpClient As(string user, string? org, params string[] roles) => OfferingsApi.As(App, Auth, user, org!, roles);

    /// <summary>The example terms under a name and category of this test (no conflict review with other tests' offerings).</summary>
    public OfferingTerms Terms(string name) => Examples.Terms() with { Name = $"{name} {_run}", Category = $"{name} {_run}" };

    /// <summary>Starts an offering as alice of contoso; returns its id once its gates wait for sign-offs.</summary>
    public async Task<OfferingView> StartAwaitingAsync(OfferingTerms terms)
    {
        using var alice = As("alice", "contoso", Roles.Partner, Roles.Operator);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/offerings") { Content = JsonContent.Create(new StartOfferingRequest(terms, 10), options: OfferingsApi.Json) };
        request.Headers.Add(JointOfferingApi.IdempotencyKeyHeader, Guid.NewGuid().ToString());
        using var response = await alice.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var id = (await response.Content.ReadFromJsonAsync<OfferingAccepted>(OfferingsApi.Json))!.OfferingId;
        return await OfferingsApi.WaitForStageAsync(alice, id, App, OfferingStage.AwaitingSignOffs);
    }

    /// <summary>Each gate's first approver decides over the API (the gates named in <paramref name="except"/> stay open).</summary>
    public async Task SignAsync(OfferingView offering, string termsHash, bool approve, params string[] except)
    {
        foreach (var gate in offering.Gates.Where(g => !except.Contains(g.GateId)))
        {
            using var approver = As(gate.Approvers[0], null, Roles.Approver);
            using var decided = await approver.PostAsJsonAsync($"/api/offerings/{offering.OfferingId}/signoffs/{gate.GateId}", new SignOffRequest(approve, approve ? "ok" : "no", termsHash), OfferingsApi.Json);
            Assert.True(decided.IsSuccessStatusCode, await decided.Content.ReadAsStringAsync());
        }
    }

    /// <summary>Waits until <paramref name="approver"/>'s pending approvals hold a gate of the offering for <paramref name="termsHash"/>.</summary>
    public async Task WaitForPendingAsync(string approver, string offeringId, string termsHash)
    {
        using var client = As(approver, null, Roles.Approver);
        for (var deadline = DateTime.UtcNow.AddSeconds(60); DateTime.UtcNow < deadline; await Task.Delay(200))
        {
            var pending = await client.GetFromJsonAsync<List<PendingApproval>>("/api/approvals/pending", OfferingsApi.Json);
            if (pending!.Any(p => p.OfferingId == offeringId && p.TermsHash == termsHash))
            {
                return;
            }
        }

        throw new TimeoutException($"{approver} has no gate of {offeringId} for terms {termsHash}");
    }

    /// <summary>Waits until the offering is in <paramref name="stage"/> (as alice, operator too for the timeout's history).</summary>
    public async Task<OfferingView> WaitForStageAsync(string offeringId, OfferingStage stage)
    {
        using var alice = As("alice", "contoso", Roles.Partner, Roles.Operator);
        return await OfferingsApi.WaitForStageAsync(alice, offeringId, App, stage);
    }
}

[CollectionDefinition(Name)]
public sealed class WebAppCollection : ICollectionFixture<WebAppFixture>
{
    public const string Name = "web app";
}
