using EcosystemFlows.Api;
using EcosystemFlows.DurableTask.Hosting;
using EcosystemFlows.Workflows;
using EcosystemFlows.Workflows.JointOffering;
using Scalar.AspNetCore;

namespace EcosystemFlows.LocalHost.Hosting;

/// <summary>What only the local host adds to the shared application: the Durable Task engine and the API description.</summary>
internal static class LocalEndpoints
{
    /// <summary>
    /// The workflows on the Durable Task Framework with the Azure Storage provider (Azurite locally): the same
    /// orchestrators and activities the Functions app binds (<see cref="JointOfferingRegistration"/>), and the
    /// <c>DurableTaskClient</c> the handlers and the Service Bus processor use. Plus the OpenAPI description.
    /// </summary>
    public static IServiceCollection AddLocalWorkflowEngine(this IServiceCollection services)
    {
        services.AddApiDocumentation();
        services.AddDurableTaskOnAzureStorage(registry => registry.AddJointOffering(), WorkflowJson.Converter);
        return services;
    }

    /// <summary>The shared API, plus the API description and its reference page, which only this host serves.</summary>
    public static IEndpointRouteBuilder MapLocalEndpoints(this IEndpointRouteBuilder endpoints)
    {
        // The API description and its UI are public: they describe shapes, never data.
        // One fixed document route: an unknown document name then gets the app's 404 problem, not a text answer.
        endpoints.MapOpenApi("/openapi/v1.json").AllowAnonymous();
        // Interactive reference at /scalar/v1 (Development and elsewhere alike: it holds no data); "Authorize" takes a
        // token from eng/token.sh.
        endpoints.MapScalarApiReference(o => o.WithTitle("EcosystemFlows API").AddPreferredSecuritySchemes([ApiDocumentation.BearerScheme])).AllowAnonymous();
        endpoints.MapEcosystemFlowsApi();
        return endpoints;
    }
}
