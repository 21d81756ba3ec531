using EcosystemFlows.Azure.Cosmos;
using EcosystemFlows.Azure.Offerings;
using EcosystemFlows.Azure.ServiceBus;
using EcosystemFlows.Domain.Ports;
using EcosystemFlows.DurableTask.Hosting;
using EcosystemFlows.Functions.Operations;
using EcosystemFlows.Functions.Partners;
using EcosystemFlows.Functions.Security;
using EcosystemFlows.Functions.Workflows;
using EcosystemFlows.Functions.Workflows.JointOffering;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Scalar.AspNetCore;

namespace EcosystemFlows.Functions.Hosting;

/// <summary>The workflows: Durable Task SDK on the Azure Storage task hub, their ports, Service Bus, and the HTTP API.</summary>
internal static partial class WorkflowHostingExtensions
{
    public static IServiceCollection AddWorkflows(this IServiceCollection services)
    {
        services.ConfigureHttpJsonOptions(o => WorkflowJson.Configure(o.SerializerOptions));
        services.AddApiDocumentation();
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

        services.AddDurableTaskOnAzureStorage(registry => registry.AddJointOffering(), WorkflowJson.Converter);
        services.AddPartnersApiPolicies();
        return services;
    }

    public static IEndpointRouteBuilder MapWorkflowApis(this IEndpointRouteBuilder endpoints)
    {
        // The API description and its UI are public: they describe shapes, never data.
        // One fixed document route: an unknown document name then gets the app's 404 problem, not a text answer.
        endpoints.MapOpenApi("/openapi/v1.json").AllowAnonymous();
        // Interactive reference at /scalar/v1 (Development and elsewhere alike: it holds no data); "Authorize" takes a
        // token from eng/token.sh.
        endpoints.MapScalarApiReference(o => o.WithTitle("EcosystemFlows API").AddPreferredSecuritySchemes([ApiDocumentation.BearerScheme])).AllowAnonymous();
        endpoints.MapPartnersApi();
        endpoints.MapJointOfferingApi();
        endpoints.MapDurableManagementApi().RequireAuthorization(Roles.Operator).WithPipelineProblems();
        return endpoints;
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
