using EcosystemFlows.Functions.Http;
using EcosystemFlows.Web;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace EcosystemFlows.Functions.Tests.Http;

/// <summary>The web app's functions answer as the local host's <c>/app</c> routes do: the files, and Entra ID or no sign-in.</summary>
public sealed class WebAppFunctionsTests : IDisposable
{
    private readonly ServiceProvider _services = FunctionKit.Services(FunctionKit.Ports());

    public void Dispose() => _services.Dispose();

    [Fact]
    public async Task WebAppPage_AnyBrowser_ServesThePageWithItsPolicyAndETag()
    {
        var request = FunctionKit.Request(_services, "GET", "/app");

        var (status, body) = await FunctionKit.ExecuteAsync(Functions(new WebAppOptions()).WebAppPage(request), request);

        Assert.Equal(200, status);
        Assert.Contains("<html", body, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(WebAppEndpoints.ContentSecurityPolicy(new WebAppOptions()), request.HttpContext.Response.Headers.ContentSecurityPolicy.ToString());
        Assert.Equal(WebAssets.Find(WebAssets.IndexName)!.ETag, request.HttpContext.Response.Headers.ETag.ToString());
    }

    [Fact]
    public async Task WebAppFile_UnknownName_Answers404Problem()
    {
        var request = FunctionKit.Request(_services, "GET", "/app/nope.js");

        var (status, body) = await FunctionKit.ExecuteAsync(Functions(new WebAppOptions()).WebAppFile(request, "nope.js"), request);

        Assert.Equal(404, status);
        Assert.Contains("nope.js", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WebAppConfig_EntraConfigured_TellsThePageToSignInWithEntraNeverDevelopment()
    {
        var entra = new WebAppOptions { ClientId = "client", Authority = new Uri("https://login.microsoftonline.com/tenant"), ApiScope = "api://ecosystemflows/.default" };
        var none = FunctionKit.Request(_services, "GET", "/app/config.json");
        var withEntra = FunctionKit.Request(_services, "GET", "/app/config.json");

        var (_, noneBody) = await FunctionKit.ExecuteAsync(Functions(new WebAppOptions()).WebAppConfig(none), none);
        var (_, entraBody) = await FunctionKit.ExecuteAsync(Functions(entra).WebAppConfig(withEntra), withEntra);

        Assert.Contains("\"signIn\":\"none\"", noneBody, StringComparison.Ordinal);
        Assert.Contains("\"signIn\":\"entra\"", entraBody, StringComparison.Ordinal);
        Assert.Contains("\"clientId\":\"client\"", entraBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WebAppFile_EntraBundlesAndRedirectPage_ServedWithTheAuthorityAllowedAndOnlyTheRedirectPageFramable()
    {
        var entra = new WebAppOptions { ClientId = "client", Authority = new Uri("https://login.microsoftonline.com/tenant"), ApiScope = "api://ecosystemflows/.default" };
        var bundle = FunctionKit.Request(_services, "GET", "/app/msal-browser.min.js");
        var bridge = FunctionKit.Request(_services, "GET", $"/app/{WebAppEndpoints.RedirectPageName}");
        var page = FunctionKit.Request(_services, "GET", "/app");

        var (bundleStatus, bundleBody) = await FunctionKit.ExecuteAsync(Functions(entra).WebAppFile(bundle, "msal-browser.min.js"), bundle);
        var (bridgeStatus, bridgeBody) = await FunctionKit.ExecuteAsync(Functions(entra).WebAppFile(bridge, WebAppEndpoints.RedirectPageName), bridge);
        await FunctionKit.ExecuteAsync(Functions(entra).WebAppPage(page), page);

        Assert.Equal((200, 200), (bundleStatus, bridgeStatus));
        Assert.Contains("PublicClientApplication", bundleBody, StringComparison.Ordinal);
        Assert.Contains("msal-redirect-bridge.min.js", bridgeBody, StringComparison.Ordinal);
        var pagePolicy = page.HttpContext.Response.Headers.ContentSecurityPolicy.ToString();
        Assert.Contains("connect-src 'self' https://login.microsoftonline.com;", pagePolicy, StringComparison.Ordinal);
        Assert.Contains("frame-src 'self' https://login.microsoftonline.com;", pagePolicy, StringComparison.Ordinal);
        Assert.EndsWith("frame-ancestors 'none'", pagePolicy, StringComparison.Ordinal);
        Assert.EndsWith("frame-ancestors 'self'", bridge.HttpContext.Response.Headers.ContentSecurityPolicy.ToString(), StringComparison.Ordinal);
    }

    private static WebAppFunctions Functions(WebAppOptions options) => new(Options.Create(options));
}
