using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using EcosystemFlows.Api.Security;
using EcosystemFlows.IntegrationTests.EndToEnd;
using EcosystemFlows.Workflows.Security;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace EcosystemFlows.Web.Tests;

/// <summary>
/// The app deployed with Entra ID sign-in settings (<c>WebApp__*</c>), as a second process on the same services. Its API
/// still takes the development issuer's tokens: the stand-in for Entra ID below hands one out as the access token.
/// </summary>
public sealed class EntraWebApp : IAsyncLifetime
{
    public const string ClientId = "7d5c7a6e-web-tests";
    public const string Tenant = "ecoflows-tests";
    public const string Authority = $"https://login.microsoftonline.com/{Tenant}";
    public const string ApiScope = "api://ecosystemflows/access_as_user";

    private AppProcess? _app;

    internal AppProcess App => _app ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var settings = AppProcess.IsolatedSettings($"entra{run}");
        settings["ASPNETCORE_ENVIRONMENT"] = "Development";
        settings["WebApp__ClientId"] = ClientId;
        settings["WebApp__Authority"] = Authority;
        settings["WebApp__ApiScope"] = ApiScope;
        _app = AppProcess.Start(settings);
        using var live = await _app.WaitUntilLiveAsync(TimeSpan.FromSeconds(90));
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}

/// <summary>
/// The Entra ID sign-in through MSAL against a stand-in for login.microsoftonline.com (Playwright answers its requests):
/// authorization code with PKCE, the answer through the redirect bridge page, the token kept for the API, sign-out at
/// Entra ID. What MSAL sends is checked as Entra ID would: the code verifier must hash to the challenge.
/// </summary>
[Collection(WebAppCollection.Name)]
public sealed class EntraSignInTests(WebAppFixture web, EntraWebApp entra) : IClassFixture<EntraWebApp>
{
    private const string Oid = "00000000-0000-0000-0000-0000000a11ce";
    private const string TenantId = "00000000-0000-0000-0000-00000000e7a1";

    private readonly ConcurrentQueue<string> _unexpected = new();

    [Fact]
    public async Task Partner_SignsInWithEntraId_UsesTheApi_AndSignsOutThere()
    {
        var context = await web.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = entra.App.BaseAddress.ToString(), Locale = "en-GB" });
        var authorize = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var token = new TaskCompletionSource<Dictionary<string, string>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var logout = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        string? nonce = null;
        await context.RouteAsync("https://login.microsoftonline.com/**", async route =>
        {
            var request = route.Request;
            var url = new Uri(request.Url);
            var path = url.AbsolutePath;
            if (request.Method == "OPTIONS")
            {
                await route.FulfillAsync(new RouteFulfillOptions { Status = 204, Headers = Cors(request.Headers.GetValueOrDefault("access-control-request-headers")) });
            }
            else if (path.EndsWith("/v2.0/.well-known/openid-configuration", StringComparison.Ordinal))
            {
                await route.FulfillAsync(Json(Metadata()));
            }
            else if (path.EndsWith("/discovery/instance", StringComparison.Ordinal))
            {
                await route.FulfillAsync(Json(new Dictionary<string, object>
                {
                    ["tenant_discovery_endpoint"] = $"{EntraWebApp.Authority}/v2.0/.well-known/openid-configuration",
                    ["api-version"] = "1.1",
                    ["metadata"] = new[] { new { preferred_network = "login.microsoftonline.com", preferred_cache = "login.windows.net", aliases = new[] { "login.microsoftonline.com", "login.windows.net" } } },
                }));
            }
            else if (path.EndsWith("/oauth2/v2.0/authorize", StringComparison.Ordinal))
            {
                var query = Query(url.Query);
                nonce = query.GetValueOrDefault("nonce");
                authorize.TrySetResult(url);
                var answer = $"code=stand-in-code&state={Uri.EscapeDataString(query["state"])}&client_info={ClientInfo()}";
                var back = query.GetValueOrDefault("response_mode") == "query" ? $"{query["redirect_uri"]}?{answer}" : $"{query["redirect_uri"]}#{answer}";
                await route.FulfillAsync(new RouteFulfillOptions { Status = 302, Headers = new Dictionary<string, string> { ["Location"] = back } });
            }
            else if (path.EndsWith("/oauth2/v2.0/token", StringComparison.Ordinal))
            {
                var form = Query(request.PostData ?? "");
                token.TrySetResult(form);
                var accessToken = DevelopmentTokens.Mint(web.Auth, "alice", "contoso", [Roles.Partner], TimeSpan.FromHours(1), DateTimeOffset.UtcNow);
                await route.FulfillAsync(Json(new
                {
                    token_type = "Bearer",
                    scope = EntraWebApp.ApiScope,
                    expires_in = 3600,
                    ext_expires_in = 3600,
                    access_token = accessToken,
                    refresh_token = "stand-in-refresh-token",
                    id_token = IdToken(nonce),
                    client_info = ClientInfo(),
                }));
            }
            else if (path.EndsWith("/oauth2/v2.0/logout", StringComparison.Ordinal))
            {
                logout.TrySetResult(url);
                await route.FulfillAsync(new RouteFulfillOptions { Status = 302, Headers = new Dictionary<string, string> { ["Location"] = Query(url.Query)["post_logout_redirect_uri"] } });
            }
            else
            {
                _unexpected.Enqueue($"{request.Method} {request.Url}");
                await route.FulfillAsync(new RouteFulfillOptions { Status = 404 });
            }
        });
        var page = await context.NewPageAsync();
        var errors = new ConcurrentQueue<string>();
        page.PageError += (_, error) => errors.Enqueue(error);
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                // The location names the resource of a "Failed to load resource" error (once in CI, under load).
                errors.Enqueue($"console: {message.Text} ({message.Location})");
            }
        };

        await page.GotoAsync("/app/");
        var signIn = page.GetByRole(AriaRole.Button, new() { Name = "Sign in with Microsoft" });
        await Expect(signIn).ToBeVisibleAsync();
        await BrowserUser.CheckPageAsync(page, "entra-sign-in");
        await signIn.ClickAsync();

        // Authorization code with PKCE (S256), for the API's scope, answered on the redirect bridge page.
        var asked = Query((await authorize.Task.WaitAsync(TimeSpan.FromSeconds(30))).Query);
        Assert.Equal(("code", "S256", EntraWebApp.ClientId), (asked["response_type"], asked["code_challenge_method"], asked["client_id"]));
        Assert.Equal(new Uri(entra.App.BaseAddress, "/app/redirect.html").ToString(), asked["redirect_uri"]);
        Assert.Contains(EntraWebApp.ApiScope, asked["scope"].Split(' '));
        var redeemed = await token.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(("authorization_code", "stand-in-code"), (redeemed["grant_type"], redeemed["code"]));
        Assert.Equal(asked["code_challenge"], Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(redeemed["code_verifier"]))));

        // Back in the app, signed in, reading the API with the token; the answer left no trace in the address.
        await Expect(page.GetByText("Signed in as alice (contoso)")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Offerings of contoso" })).ToBeVisibleAsync();
        await BrowserUser.CheckPageAsync(page, "entra-signed-in");
        Assert.DoesNotContain("code=", page.Url, StringComparison.Ordinal);
        var stored = await page.EvaluateAsync<string>("() => JSON.stringify(Object.assign({}, localStorage))");
        Assert.DoesNotContain("stand-in-refresh-token", stored, StringComparison.Ordinal);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();

        var loggedOut = Query((await logout.Task.WaitAsync(TimeSpan.FromSeconds(30))).Query);
        Assert.Equal(new Uri(entra.App.BaseAddress, "/app/").ToString(), loggedOut["post_logout_redirect_uri"]);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sign in with Microsoft" })).ToBeVisibleAsync();
        await context.DisposeAsync();
        Assert.Empty(_unexpected);
        Assert.True(errors.IsEmpty, string.Join("\n", errors));
    }

    private static object Metadata() => new
    {
        issuer = $"https://login.microsoftonline.com/{TenantId}/v2.0",
        authorization_endpoint = $"{EntraWebApp.Authority}/oauth2/v2.0/authorize",
        token_endpoint = $"{EntraWebApp.Authority}/oauth2/v2.0/token",
        end_session_endpoint = $"{EntraWebApp.Authority}/oauth2/v2.0/logout",
        jwks_uri = $"{EntraWebApp.Authority}/discovery/v2.0/keys",
        response_modes_supported = new[] { "query", "fragment", "form_post" },
        response_types_supported = new[] { "code", "id_token", "code id_token", "id_token token" },
        scopes_supported = new[] { "openid", "profile", "email", "offline_access" },
        subject_types_supported = new[] { "pairwise" },
        id_token_signing_alg_values_supported = new[] { "RS256" },
        token_endpoint_auth_methods_supported = new[] { "client_secret_post", "private_key_jwt", "client_secret_basic" },
        tenant_region_scope = "EU",
        cloud_instance_name = "microsoftonline.com",
    };

    /// <summary>An ID token as Entra ID shapes it; MSAL reads its claims and checks the nonce (not the signature, which TLS vouches for).</summary>
    private static string IdToken(string? nonce)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new { typ = "JWT", alg = "RS256", kid = "stand-in" }));
        var claims = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object?>
        {
            ["aud"] = EntraWebApp.ClientId,
            ["iss"] = $"https://login.microsoftonline.com/{TenantId}/v2.0",
            ["iat"] = now,
            ["nbf"] = now,
            ["exp"] = now + 3600,
            ["nonce"] = nonce,
            ["name"] = "Alice",
            ["oid"] = Oid,
            ["preferred_username"] = "alice@contoso.example",
            ["sub"] = "stand-in-subject",
            ["tid"] = TenantId,
            ["ver"] = "2.0",
        }));
        return $"{header}.{claims}.{Base64Url(Encoding.ASCII.GetBytes("stand-in-signature"))}";
    }

    private static string ClientInfo() => Base64Url(JsonSerializer.SerializeToUtf8Bytes(new { uid = Oid, utid = TenantId }));

    private static RouteFulfillOptions Json(object body)
    {
        var headers = Cors(null);
        headers["Content-Type"] = "application/json";
        return new RouteFulfillOptions { Status = 200, Headers = headers, Body = JsonSerializer.Serialize(body) };
    }

    /// <summary>Entra ID's CORS answer: MSAL reads the metadata and redeems the code from the app's origin.</summary>
    private static Dictionary<string, string> Cors(string? requestedHeaders)
    {
        var headers = new Dictionary<string, string> { ["Access-Control-Allow-Origin"] = "*", ["Access-Control-Allow-Methods"] = "GET, POST" };
        if (requestedHeaders is not null)
        {
            headers["Access-Control-Allow-Headers"] = requestedHeaders;
        }

        return headers;
    }

    private static Dictionary<string, string> Query(string text) =>
        text.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2))
            .ToDictionary(p => Uri.UnescapeDataString(p[0].Replace('+', ' ')), p => p.Length > 1 ? Uri.UnescapeDataString(p[1].Replace('+', ' ')) : "", StringComparer.Ordinal);

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
