using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using EcosystemFlows.Web;

namespace EcosystemFlows.LocalHost.Tests.Hosting;

/// <summary>How the app hosts the web app: its files with a strict policy, and the development sign-in only in Development.</summary>
public sealed class WebAppHostingTests
{
    [Fact]
    public async Task DevelopmentSignIn_OutsideDevelopment_DoesNotExist()
    {
        await using var app = new AppFactory(environment: "Production");

        using var response = await app.CreateClient().PostAsJsonAsync("/app/dev/sign-in", new DevelopmentSignInRequest("alice", "contoso", ["partner"]));
        var config = await app.CreateClient().GetFromJsonAsync<WebAppConfig>("/app/config.json");

        // No such endpoint: the deny-by-default policy answers as for any unknown path, and no token comes back.
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("none", config!.SignIn);
    }

    [Fact]
    public async Task DevelopmentSignIn_InDevelopment_GivesATokenTheApiAccepts()
    {
        await using var app = new AppFactory(environment: "Development");
        var client = app.CreateClient();

        using var signedIn = await client.PostAsJsonAsync("/app/dev/sign-in", new DevelopmentSignInRequest("alice", "contoso", ["approver"]));
        var token = (await signedIn.Content.ReadFromJsonAsync<DevelopmentSignInResponse>())!.AccessToken;
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/approvals/pending") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", token) } };
        using var pending = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, pending.StatusCode);
    }

    [Fact]
    public async Task DevelopmentSignIn_UnknownRole_IsAValidationProblem()
    {
        await using var app = new AppFactory(environment: "Development");

        using var response = await app.CreateClient().PostAsJsonAsync("/app/dev/sign-in", new DevelopmentSignInRequest("alice", "contoso", ["admin"]));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("unknown role 'admin'", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Page_IsServedWithAContentSecurityPolicyAndRevalidatedByItsETag()
    {
        await using var app = new AppFactory();
        var client = app.CreateClient();

        using var page = await client.GetAsync(new Uri("/app/", UriKind.Relative));
        using var again = new HttpRequestMessage(HttpMethod.Get, "/app/") { Headers = { IfNoneMatch = { page.Headers.ETag! } } };
        using var unchanged = await client.SendAsync(again);

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html; charset=utf-8", page.Content.Headers.ContentType!.ToString());
        Assert.Contains("script-src 'self';", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotModified, unchanged.StatusCode);
    }

    [Fact]
    public async Task UnknownFile_IsA404Problem()
    {
        await using var app = new AppFactory();

        using var response = await app.CreateClient().GetAsync(new Uri("/app/secrets.json", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task ApiRead_Unchanged_AnswersNotModifiedToItsETag()
    {
        await using var app = new AppFactory();
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Security.SecurityKit.Token("alice", "contoso", "approver"));

        using var first = await client.GetAsync(new Uri("/api/approvals/pending", UriKind.Relative));
        using var again = new HttpRequestMessage(HttpMethod.Get, "/api/approvals/pending") { Headers = { IfNoneMatch = { first.Headers.ETag! } } };
        using var unchanged = await client.SendAsync(again);
        using var stale = new HttpRequestMessage(HttpMethod.Get, "/api/approvals/pending") { Headers = { IfNoneMatch = { new EntityTagHeaderValue("\"0\"") } } };
        using var changed = await client.SendAsync(stale);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.NotModified, unchanged.StatusCode);
        Assert.Empty(await unchanged.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await changed.Content.ReadAsStringAsync());
        Assert.True(first.Headers.CacheControl!.Private && first.Headers.CacheControl.NoCache);
    }

    [Fact]
    public async Task ApiRead_Problem_HasNoETag()
    {
        await using var app = new AppFactory();
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Security.SecurityKit.Token("alice", "contoso", "partner"));

        using var missing = await client.GetAsync(new Uri("/api/offerings/off-00000000000000000000", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Null(missing.Headers.ETag);
    }

    [Fact]
    public void WebAppOptions_PartialEntraSettings_AreRefused()
    {
        var options = new WebAppOptions { ClientId = "spa" };

        var errors = options.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(options)).ToList();

        Assert.Single(errors);
    }
}
