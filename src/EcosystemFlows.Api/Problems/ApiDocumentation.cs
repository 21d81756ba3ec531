using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;
using Microsoft.OpenApi;

namespace EcosystemFlows.Api;

/// <summary>
/// What <c>/openapi/v1.json</c> says beyond the handlers' own result types: the bearer scheme every non-anonymous
/// endpoint needs, and the RFC 9457 problems the pipeline answers before or around a handler (401/403 from
/// authentication and authorization, 429 from the rate limiter, 400/413/415 while reading a body, 503 when a
/// dependency is down). Endpoint-specific problems (404, 409, 422) are declared where the endpoints are mapped.
/// </summary>
internal static class ApiDocumentation
{
    public const string BearerScheme = "Bearer";

    private const string ProblemContentType = "application/problem+json";

    /// <summary>Adds the bearer security scheme, and a requirement of it on every operation that is not anonymous.</summary>
    public static IServiceCollection AddApiDocumentation(this IServiceCollection services) =>
        services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>(StringComparer.Ordinal);
                document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    BearerFormat = "JWT",
                    Description = "A JWT from Microsoft Entra ID (Azure) or the development issuer (eng/token.sh); roles in the `roles` claim, the partner organisation in `org`.",
                };
                return Task.CompletedTask;
            });
            options.AddOperationTransformer((operation, context, _) =>
            {
                if (!context.Description.ActionDescriptor.EndpointMetadata.OfType<IAllowAnonymous>().Any())
                {
                    operation.Security ??= [];
                    operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, context.Document)] = [] });
                }

                return Task.CompletedTask;
            });
        });

    /// <summary>
    /// Declares the pipeline's problems on every endpoint under <paramref name="builder"/>, from what each endpoint
    /// is once built (anonymous or not, reads a body or not); statuses an endpoint declares itself are kept.
    /// </summary>
    public static TBuilder WithPipelineProblems<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.Finally(endpoint =>
        {
            var metadata = endpoint.Metadata;
            List<int> statuses = [StatusCodes.Status429TooManyRequests, StatusCodes.Status503ServiceUnavailable];
            if (!metadata.OfType<IAllowAnonymous>().Any())
            {
                statuses.AddRange([StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden]);
            }

            if (metadata.OfType<IAcceptsMetadata>().Any())
            {
                statuses.AddRange([StatusCodes.Status400BadRequest, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType]);
            }

            var declared = metadata.OfType<IProducesResponseTypeMetadata>().Select(p => p.StatusCode).ToHashSet();
            foreach (var status in statuses.Where(declared.Add))
            {
                metadata.Add(new ProducesResponseTypeMetadata(status, typeof(ProblemDetails), [ProblemContentType]));
            }
        });
        return builder;
    }
}
