using Azure.Monitor.OpenTelemetry.Exporter;
using EcosystemFlows.Azure.Configuration;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace EcosystemFlows.Api;

/// <summary>
/// OpenTelemetry traces, metrics and logs. Every EcosystemFlows library publishes on an
/// <c>ActivitySource</c>/<c>Meter</c> named <c>EcosystemFlows.*</c>, so a new one is collected without
/// touching this file. Exporters are chosen by the standard settings: OTLP when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, Azure Monitor when <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c>
/// is set (with the managed identity when <c>APPLICATIONINSIGHTS_AUTHENTICATION_STRING</c> asks for AAD).
/// </summary>
public static class TelemetryExtensions
{
    /// <summary>The sources and meters collected: every EcosystemFlows library's.</summary>
    public const string SourcePrefix = "EcosystemFlows.*";

    /// <summary>Traces, metrics and logs, exported where the standard settings say (both hosts).</summary>
    public static IHostApplicationBuilder AddTelemetry(this IHostApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var otlp = !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var azureMonitor = configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"] is { Length: > 0 };
        var aadAuthentication = configuration["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]?
            .Contains("Authorization=AAD", StringComparison.OrdinalIgnoreCase) == true;

        var connectionString = configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"];
        var credential = aadAuthentication ? AzureCredentials.Create() : null;
        void ConfigureAzureMonitor(AzureMonitorExporterOptions options) => options.ConnectionString = connectionString;

        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(
                serviceName: configuration["OTEL_SERVICE_NAME"] ?? "ecosystemflows",
                serviceVersion: typeof(TelemetryExtensions).Assembly.GetName().Version?.ToString()))
            .WithTracing(tracing =>
            {
                // The Durable Task spans: the framework's (create_orchestration, orchestration, activity, timers) and the SDK's.
                tracing.AddSource(SourcePrefix, "DurableTask.Core", "Microsoft.DurableTask")
                    .AddAspNetCoreInstrumentation(options => options.Filter = context =>
                        !context.Request.Path.StartsWithSegments("/healthz") && !context.Request.Path.StartsWithSegments("/readyz"))
                    .AddHttpClientInstrumentation();
                if (otlp)
                {
                    tracing.AddOtlpExporter();
                }

                if (azureMonitor)
                {
                    tracing.AddAzureMonitorTraceExporter(ConfigureAzureMonitor, credential);
                }
            })
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(SourcePrefix)
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation();
                if (otlp)
                {
                    metrics.AddOtlpExporter();
                }

                if (azureMonitor)
                {
                    metrics.AddAzureMonitorMetricExporter(ConfigureAzureMonitor, credential);
                }
            })
            .WithLogging(logging =>
            {
                if (otlp)
                {
                    logging.AddOtlpExporter();
                }

                if (azureMonitor)
                {
                    logging.AddAzureMonitorLogExporter(ConfigureAzureMonitor, credential);
                }
            });

        return builder;
    }
}
