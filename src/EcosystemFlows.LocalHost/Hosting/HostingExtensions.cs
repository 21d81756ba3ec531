using System.Text.Json;
using EcosystemFlows.Api;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Configuration.CommandLine;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EcosystemFlows.LocalHost.Hosting;

/// <summary>How the app is hosted: configuration sources, listening address, dependencies, health endpoints.</summary>
internal static class HostingExtensions
{
    /// <summary>The Azure Functions host's default local port, so tooling and docs match Core Tools.</summary>
    public const string DefaultUrl = "http://localhost:7071";

    /// <summary>
    /// Adds host.json (lowest precedence) and local.settings.json below environment variables and the command line
    /// (they override it, as with Core Tools), and listens on explicit <c>urls</c>, else port 7071.
    /// </summary>
    public static WebApplicationBuilder AddLocalHosting(this WebApplicationBuilder builder)
    {
        // host.json (shipped next to the app) carries runtime settings such as extensions:durableTask:defaultVersion;
        // lowest precedence, like appsettings.json.
        var hostJson = new JsonConfigurationSource { Path = Path.Combine(AppContext.BaseDirectory, "host.json"), Optional = true };
        hostJson.ResolveFileProvider();
        builder.Configuration.Sources.Insert(0, hostJson);
        if (LocalSettingsConfigurationSource.Find(builder.Environment.ContentRootPath) is { } settingsFile)
        {
            var sources = builder.Configuration.Sources;
            var firstEnvironmentSource = sources.ToList().FindIndex(s =>
                s is EnvironmentVariablesConfigurationSource or CommandLineConfigurationSource);
            var localSettings = new LocalSettingsConfigurationSource(settingsFile);
            if (firstEnvironmentSource < 0)
            {
                sources.Add(localSettings);
            }
            else
            {
                sources.Insert(firstEnvironmentSource, localSettings);
            }
        }

        if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        return builder;
    }

    /// <summary>
    /// <c>/healthz</c>: liveness, no dependency checked (a dependency outage must not restart the app).
    /// <c>/readyz</c>: every dependency, 503 naming the ones that are down.
    /// </summary>
    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder endpoints)
    {
        // Probes are anonymous: platforms call them without credentials, and they reveal no tenant data.
        // Never rate limited: a throttled probe would get a healthy instance restarted.
        endpoints.MapHealthChecks("/healthz", new HealthCheckOptions
        {
            Predicate = _ => false,
            ResponseWriter = WriteHealthAsync,
        }).AllowAnonymous().DisableRateLimiting();
        endpoints.MapHealthChecks("/readyz", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(ApplicationServices.ReadyTag),
            ResponseWriter = WriteHealthAsync,
        }).AllowAnonymous().DisableRateLimiting();
        return endpoints;
    }

    private static Task WriteHealthAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var body = new
        {
            status = report.Status.ToString(),
            durationMs = Math.Round(report.TotalDuration.TotalMilliseconds, 1),
            checks = report.Entries.ToDictionary(
                e => e.Key,
                e => new { status = e.Value.Status.ToString(), description = e.Value.Description, durationMs = Math.Round(e.Value.Duration.TotalMilliseconds, 1) }),
        };
        return JsonSerializer.SerializeAsync(context.Response.Body, body, cancellationToken: context.RequestAborted);
    }
}
