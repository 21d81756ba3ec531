using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using EcosystemFlows.Api.Security;
using EcosystemFlows.Workflows.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace EcosystemFlows.LocalHost.Tests.Hosting;

public sealed class AuthenticationTests : IAsyncLifetime
{
    private static readonly AuthOptions Auth = new()
    {
        Audience = "ecosystemflows-tests",
        Issuer = "ecosystemflows-tests",
        DevelopmentSigningKey = AppFactory.TestSigningKey,
    };

    private readonly AppFactory _app = new(replaceServices: services => services.AddSingleton<IStartupFilter>(new ProtectedEndpointFilter()));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Request_WithoutToken_Is401ProblemDetails()
    {
        using var response = await _app.CreateClient().GetAsync(new Uri("/_partner", UriKind.Relative));

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    public static TheoryData<string, Func<string>> RejectedTokens => new()
    {
        { "expired", () => DevelopmentTokens.Mint(Auth, "alice", "contoso", [Roles.Partner], TimeSpan.FromMinutes(5), DateTimeOffset.UtcNow.AddHours(-1)) },
        { "other key", () => DevelopmentTokens.Mint(new AuthOptions { Audience = Auth.Audience, Issuer = Auth.Issuer, DevelopmentSigningKey = Convert.ToBase64String(new byte[32]) }, "alice", "contoso", [Roles.Partner], TimeSpan.FromMinutes(5), DateTimeOffset.UtcNow) },
        { "other audience", () => DevelopmentTokens.Mint(new AuthOptions { Audience = "someone-else", Issuer = Auth.Issuer, DevelopmentSigningKey = Auth.DevelopmentSigningKey }, "alice", "contoso", [Roles.Partner], TimeSpan.FromMinutes(5), DateTimeOffset.UtcNow) },
        { "other issuer", () => DevelopmentTokens.Mint(new AuthOptions { Audience = Auth.Audience, Issuer = "evil", DevelopmentSigningKey = Auth.DevelopmentSigningKey }, "alice", "contoso", [Roles.Partner], TimeSpan.FromMinutes(5), DateTimeOffset.UtcNow) },
        { "unsigned", () => "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJhbGljZSIsIm9yZyI6ImNvbnRvc28iLCJyb2xlcyI6WyJwYXJ0bmVyIl19." },
        { "garbage", () => "not-a-jwt" },
    };

    [Theory]
    [MemberData(nameof(RejectedTokens))]
    public async Task Request_WithBadToken_Is401(string why, Func<string> token)
    {
        using var response = await SendAsync(token());

        Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{why}: {response.StatusCode}");
        await AssertProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Request_WithValidTokenButWrongRole_Is403ProblemDetails()
    {
        using var response = await SendAsync(DevelopmentTokens.Mint(Auth, "olivia", null, [Roles.Operator], TimeSpan.FromMinutes(5), DateTimeOffset.UtcNow));

        await AssertProblemAsync(response, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Request_WithValidPartnerToken_SeesItsIdentity()
    {
        using var response = await SendAsync(DevelopmentTokens.Mint(Auth, "alice", "contoso", [Roles.Partner, Roles.Approver], TimeSpan.FromMinutes(5), DateTimeOffset.UtcNow));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("alice@contoso", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Request_ToEndpointWithoutRule_NeedsAuthenticationByDefault()
    {
        using var response = await _app.CreateClient().GetAsync(new Uri("/_unruled", UriKind.Relative));

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public void Mint_WithEntraAuthority_Refuses()
    {
        var entra = new AuthOptions { Audience = "api://x", Authority = new Uri("https://login.microsoftonline.com/tenant/v2.0") };

        Assert.Throws<InvalidOperationException>(() => DevelopmentTokens.Mint(entra, "alice", null, [Roles.Partner], TimeSpan.FromMinutes(5), DateTimeOffset.UtcNow));
    }

    private async Task<HttpResponseMessage> SendAsync(string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/_partner", UriKind.Relative));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await _app.CreateClient().SendAsync(request);
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal((int)status, problem.RootElement.GetProperty("status").GetInt32());
    }

    private sealed class ProtectedEndpointFilter : IStartupFilter
    {
        // Runs ahead of the app's pipeline, so the test endpoint is matched before the app's fallback policy.
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.UseRouting();
            app.UseAuthentication();
            app.UseAuthorization();
            app.UseEndpoints(endpoints =>
            {
                endpoints.MapGet("/_partner", (System.Security.Claims.ClaimsPrincipal user) => $"{user.UserId()}@{user.Organisation()}")
                    .RequireAuthorization(Roles.Partner);
                endpoints.MapGet("/_unruled", () => "reachable");
            });
            next(app);
        };
    }
}
