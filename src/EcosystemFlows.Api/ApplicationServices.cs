using Azure.Core;
using EcosystemFlows.Api.Offerings;
using EcosystemFlows.Api.Operations;
using EcosystemFlows.Api.Partners;
using EcosystemFlows.Api.Security;
using EcosystemFlows.Azure.Configuration;
using EcosystemFlows.Azure.Cosmos;
using EcosystemFlows.Azure.Offerings;
using EcosystemFlows.Azure.ServiceBus;
using EcosystemFlows.Azure.Storage;
using EcosystemFlows.Domain.Ports;
using EcosystemFlows.Workflows;
using EcosystemFlows.Workflows.JointOffering;
using EcosystemFlows.Workflows.Security;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace EcosystemFlows.Api;

/// <summary>
/// What both hosts (the local ASP.NET Core host and the Azure Functions app) run, registered in one place: the
/// Azure dependencies and their readiness checks, the workflows' ports and commands, the Service Bus command
/// processor, JWT security with the role policies, and RFC 9457 problems. Each host adds only its own binding: the
/// Durable Task engine or extension, routes or functions, and what it serves alone (OpenAPI, rate limits).
/// </summary>
public static partial class ApplicationServices
{
    /// <summary>Tag of the health checks <c>/readyz</c> runs.</summary>
    public const string ReadyTag = "ready";

    /// <summary>Registers everything the HTTP API and the workflows need; the host adds a <c>DurableTaskClient</c>.</summary>
    public static IServiceCollection AddEcosystemFlows(this IServiceCollection services)
    {
        services.AddProblemDetails();
        services.AddRequestFailureProblems();
        services.AddApiSecurity();
        services.AddPartnersApiPolicies();
        services.ConfigureHttpJsonOptions(o => WorkflowJson.Configure(o.SerializerOptions));
        services.AddAzureDependencies();
        services.AddServiceBus();

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<OfferingData>();
        services.AddSingleton<IPartnerDirectory, CosmosPartnerDirectory>();
        services.AddSingleton<IOfferingStore, CosmosOfferingStore>();
        services.AddSingleton<ICatalog, CosmosCatalog>();
        services.AddSingleton<ISupportRouting, CosmosSupportRouting>();
        services.AddSingleton<BlobArtifactStore>();
        services.AddSingleton<IArtifactStore>(sp => sp.GetRequiredService<BlobArtifactStore>());
        services.AddHostedService<LocalDataInitializer>();
        services.AddScoped<OfferingCommands>();
        services.AddServiceBusTrigger<OfferingCommandsFunction>();
        return services;
    }

    /// <summary>The HTTP API: partners, offerings and approvals, and the operator's Durable-style management API.</summary>
    public static IEndpointRouteBuilder MapEcosystemFlowsApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPartnersApi();
        endpoints.MapJointOfferingApi();
        endpoints.MapDurableManagementApi().RequireAuthorization(Roles.Operator).WithPipelineProblems();
        return endpoints;
    }

    /// <summary>Validated options, Azure clients and their readiness checks.</summary>
    private static IServiceCollection AddAzureDependencies(this IServiceCollection services)
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
    /// Creates the application's containers and blob container on a local stand-in. In Azure they come from
    /// infra, and the app's data-plane roles could not create them anyway. Retries in the background: a
    /// service that is down must make the app not ready (<c>/readyz</c>), not stop it from starting.
    /// </summary>
    private sealed partial class LocalDataInitializer(
        OfferingData data, BlobArtifactStore artifacts, IOptions<CosmosOptions> cosmos, ILogger<LocalDataInitializer> logger) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            if (!cosmos.Value.IsLocalEmulator)
            {
                return;
            }

            for (var delay = TimeSpan.FromSeconds(1); !stoppingToken.IsCancellationRequested; delay = TimeSpan.FromSeconds(Math.Min(delay.TotalSeconds * 2, 30)))
            {
                try
                {
                    await data.EnsureCreatedAsync(stoppingToken);
                    await artifacts.EnsureCreatedAsync(stoppingToken);
                    return;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogNotCreated(logger, ex, delay.TotalSeconds);
                    await Task.Delay(delay, stoppingToken);
                }
            }
        }

        [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Local data containers not created yet; retrying in {DelaySeconds} s")]
        private static partial void LogNotCreated(ILogger logger, Exception exception, double delaySeconds);
    }
}
