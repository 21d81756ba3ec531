using System.Collections.Concurrent;
using System.Collections.ObjectModel;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using EcosystemFlows.Api.Offerings;
using EcosystemFlows.Api.Security;
using EcosystemFlows.Azure.ServiceBus.Events;
using EcosystemFlows.Domain.Tests;
using EcosystemFlows.Workflows.JointOffering;
using EcosystemFlows.Workflows.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenTelemetry.Trace;

namespace EcosystemFlows.LocalHost.Tests.Hosting;

public sealed class TelemetryTests
{
    private static readonly ActivitySource LibrarySource = new("EcosystemFlows.Tests.Library");
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };
    private static readonly AuthOptions Auth = new() { Audience = "ecosystemflows-tests", Issuer = "ecosystemflows-tests", DevelopmentSigningKey = AppFactory.TestSigningKey };

    [Fact]
    public async Task Request_ToAppEndpoint_RecordsServerSpanWithLibraryChildInOneTrace()
    {
        var spans = new ExportedSpans();
        await using var app = new AppFactory(replaceServices: services =>
        {
            services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(spans));
            services.AddSingleton<IStartupFilter>(new ProbeEndpointFilter());
        });

        using var response = await app.CreateClient().GetAsync(new Uri("/_probe", UriKind.Relative));
        response.EnsureSuccessStatusCode();
        app.Services.GetRequiredService<TracerProvider>().ForceFlush();

        // Listeners are process-wide, so spans of tests running in parallel may be captured too: find ours.
        var exported = spans.Snapshot();
        var child = Assert.Single(exported, s => s.Source.Name == LibrarySource.Name);
        var server = Assert.Single(exported, s => s.Kind == ActivityKind.Server && s.SpanId == child.ParentSpanId);
        Assert.Equal(server.TraceId, child.TraceId);
        Assert.Equal("/_probe", server.GetTagItem("url.path"));
    }

    [Fact]
    public async Task StartOffering_OverHttp_OneTraceSpansTheRequestAnActivityAndThePublishedEvent()
    {
        // Arrange: the caller's own trace context, the real app on the in-memory backend, every span exported.
        var spans = new ExportedSpans();
        var publications = new PublicationRecorder();
        await using var app = new AppFactory(replaceServices: services =>
        {
            services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(spans));
            services.RemoveAll<IEventPublisher>().AddSingleton<IEventPublisher>(publications);
        });
        foreach (var partner in Examples.Partners().Values)
        {
            app.Ports.Partners[partner.PartnerId] = partner;
        }

        var traceId = ActivityTraceId.CreateRandom();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/offerings")
        {
            Content = JsonContent.Create(new StartOfferingRequest(Examples.Terms(), 10), options: Json),
        };
        request.Headers.Add(JointOfferingApi.IdempotencyKeyHeader, "trace-1");
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01");
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Bearer", DevelopmentTokens.Mint(Auth, "alice", "contoso", [Roles.Partner], TimeSpan.FromMinutes(10), DateTimeOffset.UtcNow));

        // Act: start over HTTP, then wait for the first event the workflow publishes from an activity.
        using var response = await client.SendAsync(request);
        var submitted = await publications.FirstAsync("com.ecosystemflows.offering.submitted", TimeSpan.FromSeconds(20));
        app.Services.GetRequiredService<TracerProvider>().ForceFlush();

        // Assert: request, orchestration, activity and publication are one trace. The framework gives an activity
        // two spans, its scheduling by the orchestration and its execution, and exports the orchestration's own span
        // only when the execution ends (this one waits for sign-offs): the scheduling span's parent is not out yet.
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        List<Activity> trace = [.. spans.Snapshot().Where(s => s.TraceId == traceId)];

        var server = Assert.Single(trace, s => s.Kind == ActivityKind.Server && (string?)s.GetTagItem("url.path") == "/api/offerings");
        var create = Assert.Single(trace, s => s.OperationName == $"create_orchestration:{nameof(JointOfferingOrchestrator)}");
        Assert.True(IsDescendant(trace, create, server), "create_orchestration is not inside the HTTP request span");
        var activity = Assert.Single(trace, s => s.OperationName == $"activity:{nameof(RecordTransitionActivity)}" && s.SpanId == submitted.SpanId);
        var scheduling = Assert.Single(trace, s => s.SpanId == activity.ParentSpanId);
        Assert.Equal(scheduling.OperationName, activity.OperationName);
        Assert.NotEqual(default, scheduling.ParentSpanId);
        Assert.DoesNotContain(trace, s => s.SpanId == scheduling.ParentSpanId);
        Assert.Equal(traceId, submitted.TraceId);
    }

    [Fact]
    public async Task Request_ToHealthEndpoints_IsNotTraced()
    {
        var spans = new ExportedSpans();
        await using var app = new AppFactory(replaceServices: services =>
            services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(spans)));

        using var response = await app.CreateClient().GetAsync(new Uri("/healthz", UriKind.Relative));
        app.Services.GetRequiredService<TracerProvider>().ForceFlush();

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain(spans.Snapshot(), s => s.Kind == ActivityKind.Server && (string?)s.GetTagItem("url.path") == "/healthz");
    }

    private static bool IsDescendant(List<Activity> trace, Activity span, Activity ancestor)
    {
        for (var current = span; current is not null; current = trace.FirstOrDefault(s => s.SpanId == current.ParentSpanId))
        {
            if (current.ParentSpanId == ancestor.SpanId)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// What the in-memory exporter writes to (it only adds). Spans of other tests' apps end on other threads while a
    /// test reads (the listeners are process-wide), so a plain list threw "Collection was modified" in a fresh-clone
    /// CI run: adds are locked, and tests read through <see cref="Snapshot"/>.
    /// </summary>
    private sealed class ExportedSpans : Collection<Activity>
    {
        public List<Activity> Snapshot()
        {
            lock (Items)
            {
                return [.. Items];
            }
        }

        protected override void InsertItem(int index, Activity item)
        {
            lock (Items)
            {
                base.InsertItem(index, item);
            }
        }
    }

    /// <summary>
    /// Records which span was current when each event was published: the Service Bus publisher starts its send
    /// span under it and writes its context into the message's <c>traceparent</c>.
    /// </summary>
    private sealed class PublicationRecorder : IEventPublisher
    {
        private readonly ConcurrentQueue<(string Type, ActivityContext Context)> _published = new();

        public Task PublishAsync<TData>(EventPublication<TData> publication, JsonTypeInfo<TData> dataType, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(publication);
            _published.Enqueue((publication.Type.ToString(), Activity.Current?.Context ?? default));
            return Task.CompletedTask;
        }

        public async Task<ActivityContext> FirstAsync(string type, TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (DateTime.UtcNow < deadline)
            {
                if (_published.FirstOrDefault(p => p.Type == type) is { Type: not null } found)
                {
                    return found.Context;
                }

                await Task.Delay(20);
            }

            throw new TimeoutException($"no {type} event was published within {timeout}");
        }
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
