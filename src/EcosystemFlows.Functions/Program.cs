using Azure.Core.Serialization;
using EcosystemFlows.Api;
using EcosystemFlows.Api.Security;
using EcosystemFlows.DurableTask.Hosting;
using EcosystemFlows.Functions.Hosting;
using EcosystemFlows.Functions.Security;
using EcosystemFlows.Web;
using EcosystemFlows.Workflows;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EcosystemFlows.Functions;

/// <summary>
/// The worker's entry point. A class of its own (not top-level statements, whose <c>Program</c> is public) so a test
/// project that also references the local host sees one <c>Program</c>: the local host's.
/// </summary>
internal static class Program
{
    private static async Task Main(string[] args)
    {
        var builder = FunctionsApplication.CreateBuilder(args);
        // host.json (next to the app) at the lowest precedence, as in the local host: the Service Bus processor's task-hub
        // client reads extensions:durableTask (hub name, provider settings) from it, the same section the Durable extension reads.
        var hostJson = new JsonConfigurationSource { Path = Path.Combine(AppContext.BaseDirectory, "host.json"), Optional = true };
        hostJson.ResolveFileProvider();
        builder.Configuration.Sources.Insert(0, hostJson);

        builder.ConfigureFunctionsWebApplication();
        builder.UseMiddleware<ProblemsMiddleware>();
        builder.UseMiddleware<RequestBodyLimitMiddleware>();
        builder.UseMiddleware<ApiAuthorizationMiddleware>();
        // Orchestration and activity payloads in the workflows' one JSON contract, as the local host's data converter writes them.
        builder.Services.Configure<WorkerOptions>(o => o.Serializer = new JsonObjectSerializer(WorkflowJson.Options));
        builder.AddTelemetry();
        builder.Services.AddOpenTelemetry().UseFunctionsWorkerDefaults();
        builder.Services.AddEcosystemFlows();
        builder.Services.AddRequestBodyLimit();
        builder.Services.AddWebApp();
        // ETag + 304 on API reads, as in the local host: a startup filter, since the worker's ASP.NET Core pipeline is the extension's.
        builder.Services.AddConditionalApiReads();
        // The hosted Service Bus processor runs outside any invocation, where no [DurableClient] exists: it starts and signals
        // orchestrations through a client over the same task hub in Azure Storage (see README).
        builder.Services.AddDurableTaskClientOnAzureStorage(WorkflowJson.Converter);
        await builder.Build().RunAsync();
    }
}
