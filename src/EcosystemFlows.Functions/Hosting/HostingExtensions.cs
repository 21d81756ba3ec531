using System.Text.Json;
using Azure.Core;
using EcosystemFlows.Azure.Configuration;
using EcosystemFlows.Azure.Cosmos;
using EcosystemFlows.Azure.ServiceBus;
using EcosystemFlows.Azure.Storage;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Configuration.CommandLine;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace EcosystemFlows.Functions.Hosting;

/// <summary>How the app is hosted: configuration sources, listening address, dependencies, health endpoints.</summary>
internal static class HostingExtensions
{
    /// <summary>The Azure Functions host's default local port, so tooling and docs match Core Tools.</summary>
    public const string DefaultUrl = "http://localhost:7071";

    private const string ReadyTag = "ready";

    /// <summary>
    /// Adds local.settings.json below environment variables and the command line (they override it, as
    /// with Core Tools), and picks the listening address: the custom-handler port when the Functions host
    /// starts us, else explicit <c>urls</c>, else port 7071.
    /// </summary>
    public static WebApplicationBuilder AddFunctionsHosting(this WebApplicationBuilder builder)
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

        if (builder.Configuration["FUNCTIONS_CUSTOMHANDLER_PORT"] is { Length: > 0 } handlerPort)
        {
            builder.WebHost.UseUrls($"http://127.0.0.1:{handlerPort}");
        }
        else if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        return builder;
    }

    /// <summary>Validated options, Azure clients and their readiness checks.</summary>
    public static IServiceCollection AddAzureDependencies(this IServiceCollection services)
    {
        services.AddValidatedOptions<StorageOptions>(StorageOptions.SectionName);
        services.AddValidatedOptions<CosmosOptions>(CosmosOptions.SectionName);
        services.AddValidatedOptions<ServiceBusOptions>(ServiceBusOptions.SectionName);

        services.AddSingleton(_ => AzureCredentials.Create());
        services.AddSingleton(sp => StorageClients.CreateBlobServiceClient(
            sp.GetRequiredService<IOptions<StorageOptions>>().Value, sp.GetRequiredService<TokenCredential>()));
        services.AddSingleton(sp => StorageClients.CreateQueueServiceClient(
            sp.GetRequiredService<IOptions<StorageOptions>>().Value, sp.GetRequiredService<TokenCredential>()));
        services.AddSingleton(sp => CosmosClients.Create(
            sp.GetRequiredService<IOptions<CosmosOptions>>().Value, sp.GetRequiredService<TokenCredential>()));

        var timeout = TimeSpan.FromSeconds(5);
        services.AddHealthChecks()
            .AddCheck<CosmosReadinessCheck>("cosmos", tags: [ReadyTag], timeout: timeout)
            .AddCheck<BlobReadinessCheck>("blob", tags: [ReadyTag], timeout: timeout)
            .AddCheck<QueueReadinessCheck>("queue", tags: [ReadyTag], timeout: timeout)
            .AddCheck<ServiceBusReadinessCheck>("servicebus", tags: [ReadyTag], timeout: timeout);
        return services;
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
            Predicate = check => check.Tags.Contains(ReadyTag),
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
