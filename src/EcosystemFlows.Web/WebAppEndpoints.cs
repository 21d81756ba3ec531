using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace EcosystemFlows.Web;

/// <summary>Mints a development token for the development sign-in page (the host's development issuer).</summary>
/// <param name="userId">The user (<c>sub</c>).</param>
/// <param name="organisation">The partner organisation (<c>org</c>), or null.</param>
/// <param name="roles">Roles; an unknown one throws <see cref="ArgumentException"/>.</param>
public delegate string DevelopmentTokenIssuer(string userId, string? organisation, IReadOnlyCollection<string> roles);

/// <summary>Body of <c>POST /app/dev/sign-in</c>.</summary>
public sealed record DevelopmentSignInRequest(string? UserId, string? Organisation, IReadOnlyList<string>? Roles);

/// <summary>Answer of the development sign-in: the bearer token the browser keeps in session storage.</summary>
public sealed record DevelopmentSignInResponse(string AccessToken);

/// <summary>What the browser needs to know to sign in: <c>development</c>, <c>entra</c> (with MSAL's settings) or <c>none</c>.</summary>
public sealed record WebAppConfig(string SignIn, string? ClientId, Uri? Authority, string? ApiScope);

/// <summary>
/// Serves the web app under <c>/app</c>: the page, its scripts and styles (anonymous: they hold no data; every
/// datum comes from the API with the user's token), its sign-in settings and, in Development only, the development
/// sign-in. Pages get a strict Content-Security-Policy.
/// </summary>
public static partial class WebAppEndpoints
{
    /// <summary>Where the web app lives.</summary>
    public const string BasePath = "/app";

    /// <summary>Where Entra ID answers a sign-in: the redirect URI of the app registration is <c>{app}/app/redirect.html</c>.</summary>
    public const string RedirectPageName = "redirect.html";

    /// <summary>Binds and validates <see cref="WebAppOptions"/> (section <c>WebApp</c>).</summary>
    public static IServiceCollection AddWebApp(this IServiceCollection services)
    {
        services.AddOptions<WebAppOptions>().BindConfiguration(WebAppOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        return services;
    }

    /// <summary>
    /// Maps the web app. <paramref name="developmentSignIn"/> is given only by a host running in Development with the
    /// development issuer: without it the sign-in endpoint does not exist at all.
    /// </summary>
    public static IEndpointRouteBuilder MapWebApp(this IEndpointRouteBuilder endpoints, DevelopmentTokenIssuer? developmentSignIn)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var app = endpoints.MapGroup(BasePath).WithTags("Web app").ExcludeFromDescription().AllowAnonymous();
        app.MapGet("/", (HttpContext context, IOptions<WebAppOptions> options) => Serve(context, WebAssets.IndexName, options.Value));
        app.MapGet("/{file}", (string file, HttpContext context, IOptions<WebAppOptions> options) => Serve(context, file, options.Value));
        app.MapGet("/config.json", (IOptions<WebAppOptions> options) => Config(options.Value, developmentSignIn is not null));
        if (developmentSignIn is not null)
        {
            app.MapPost("/dev/sign-in", (DevelopmentSignInRequest? request) => SignIn(request, developmentSignIn));
        }

        return endpoints;
    }

    /// <summary>
    /// The Content-Security-Policy of the pages: only our own scripts and styles; the API on this origin. With Entra ID, MSAL
    /// also calls the authority, and a silent renewal frames it, which answers on our redirect page (hence <c>'self'</c>).
    /// No page may be framed by another site; only the redirect page by our own.
    /// </summary>
    public static string ContentSecurityPolicy(WebAppOptions options, string file = WebAssets.IndexName)
    {
        ArgumentNullException.ThrowIfNull(options);
        var entra = options.UsesEntra ? " " + options.Authority!.GetLeftPart(UriPartial.Authority) : "";
        var ancestors = file == RedirectPageName ? "'self'" : "'none'";
        return $"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'{entra}; frame-src{(entra.Length > 0 ? " 'self'" + entra : " 'none'")}; " +
            $"form-action 'self'; base-uri 'none'; frame-ancestors {ancestors}";
    }

    /// <summary>
    /// The web app's file <paramref name="file"/> with the pages' security headers and its ETag (304 when the browser
    /// has it), or a 404 problem. Every host serves the files through this.
    /// </summary>
    public static IResult Serve(HttpContext context, string file, WebAppOptions options)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(options);
        if (WebAssets.Find(file) is not { } asset)
        {
            return TypedResults.Problem($"The web app has no file '{file}'.", statusCode: StatusCodes.Status404NotFound, title: "Not found");
        }

        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy(options, file);
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        // Revalidate every time (cheap with the ETag): a new deployment is seen at once, never a stale mix of modules.
        headers.CacheControl = "no-cache";
        headers.ETag = asset.ETag;
        var ifNoneMatch = context.Request.GetTypedHeaders().IfNoneMatch;
        if (ifNoneMatch.Any(tag => tag.Tag.Equals(asset.ETag, StringComparison.Ordinal)))
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        return TypedResults.Bytes(asset.Content.ToArray(), asset.ContentType);
    }

    /// <summary>The sign-in settings the page reads from <c>/app/config.json</c>.</summary>
    public static Ok<WebAppConfig> Config(WebAppOptions options, bool developmentSignIn)
    {
        ArgumentNullException.ThrowIfNull(options);
        return TypedResults.Ok(options.UsesEntra
            ? new WebAppConfig("entra", options.ClientId, options.Authority, options.ApiScope)
            : new WebAppConfig(developmentSignIn ? "development" : "none", null, null, null));
    }

    private static Results<Ok<DevelopmentSignInResponse>, ValidationProblem> SignIn(DevelopmentSignInRequest? request, DevelopmentTokenIssuer issue)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (request?.UserId is not { } userId || !Identifier().IsMatch(userId))
        {
            errors["userId"] = ["is required: letters, digits, '-', '_' or '.' (at most 64)"];
        }

        if (request?.Organisation is { Length: > 0 } organisation && !Identifier().IsMatch(organisation))
        {
            errors["organisation"] = ["letters, digits, '-', '_' or '.' (at most 64)"];
        }

        if (request?.Roles is not { Count: > 0 })
        {
            errors["roles"] = ["pick at least one role"];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The sign-in is not valid");
        }

        try
        {
            return TypedResults.Ok(new DevelopmentSignInResponse(issue(request!.UserId!, request.Organisation is { Length: > 0 } org ? org : null, request.Roles!)));
        }
        catch (ArgumentException ex)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["roles"] = [ex.Message] }, title: "The sign-in is not valid");
        }
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex Identifier();
}
