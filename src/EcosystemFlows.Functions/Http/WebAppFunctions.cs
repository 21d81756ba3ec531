using EcosystemFlows.Web;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;

namespace EcosystemFlows.Functions.Http;

/// <summary>
/// The web app under <c>/app</c>, as the local host maps it (<see cref="WebAppEndpoints"/>): its files and its sign-in
/// settings, anonymous because they hold no data. There is no development sign-in here: in Azure the page signs in
/// with Entra ID.
/// </summary>
public sealed class WebAppFunctions(IOptions<WebAppOptions> options)
{
    /// <summary><c>GET /app</c>: the page every client-side route starts from.</summary>
    [Function(nameof(WebAppPage))]
    [AllowAnonymous]
    public IResult WebAppPage([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "app")] HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return WebAppEndpoints.Serve(request.HttpContext, WebAssets.IndexName, options.Value);
    }

    /// <summary><c>GET /app/{file}</c>: a script, style sheet or image of the page.</summary>
    [Function(nameof(WebAppFile))]
    [AllowAnonymous]
    public IResult WebAppFile([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "app/{file}")] HttpRequest request, string file)
    {
        ArgumentNullException.ThrowIfNull(request);
        return WebAppEndpoints.Serve(request.HttpContext, file, options.Value);
    }

    /// <summary><c>GET /app/config.json</c>: how the page signs in (Entra ID when configured, else none).</summary>
    [Function(nameof(WebAppConfig))]
    [AllowAnonymous]
    public IResult WebAppConfig([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "app/config.json")] HttpRequest request) =>
        WebAppEndpoints.Config(options.Value, developmentSignIn: false);
}
