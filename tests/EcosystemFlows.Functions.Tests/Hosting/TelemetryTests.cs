using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace EcosystemFlows.Functions.Tests.Hosting;

public sealed class TelemetryTests
{
    private static readonly ActivitySource LibrarySource = new("EcosystemFlows.Tests.Library");

    [Fact]
    public async Task Request_ToAppEndpoint_RecordsServerSpanWithLibraryChildInOneTrace()
    {
        var spans = new List<Activity>();
        await using var app = new AppFactory(replaceServices: services =>
        {
            services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(spans));
            services.AddSingleton<IStartupFilter>(new ProbeEndpointFilter());
        });

        using var response = await app.CreateClient().GetAsync(new Uri("/_probe", UriKind.Relative));
        response.EnsureSuccessStatusCode();
        app.Services.GetRequiredService<TracerProvider>().ForceFlush();

        // Listeners are process-wide, so spans of tests running in parallel may be captured too: find ours.
        var child = Assert.Single(spans, s => s.Source.Name == LibrarySource.Name);
        var server = Assert.Single(spans, s => s.Kind == ActivityKind.Server && s.SpanId == child.ParentSpanId);
        Assert.Equal(server.TraceId, child.TraceId);
        Assert.Equal("/_probe", server.GetTagItem("url.path"));
    }

    [Fact]
    public async Task Request_ToHealthEndpoints_IsNotTraced()
    {
        var spans = new List<Activity>();
        await using var app = new AppFactory(replaceServices: services =>
            services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(spans)));

        using var response = await app.CreateClient().GetAsync(new Uri("/healthz", UriKind.Relative));
        app.Services.GetRequiredService<TracerProvider>().ForceFlush();

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain(spans, s => s.Kind == ActivityKind.Server && (string?)s.GetTagItem("url.path") == "/healthz");
    }

    /// <summary>Adds an endpoint that does library work on an <c>EcosystemFlows.*</c> source.</summary>
    private sealed class ProbeEndpointFilter : IStartupFilter
    {
        // Runs ahead of the app's pipeline, so the test endpoint is matched before the app's fallback policy.
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.UseRouting();
            app.UseEndpoints(endpoints => endpoints.MapGet("/_probe", () =>
            {
                using var work = LibrarySource.StartActivity("library-work");
                return "ok";
            }).AllowAnonymous());
            next(app);
        };
    }
}
