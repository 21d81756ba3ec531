using System.Security.Claims;
using EcosystemFlows.Domain.Partners;
using EcosystemFlows.Domain.Ports;
using EcosystemFlows.Domain.Validation;
using EcosystemFlows.Workflows.Security;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace EcosystemFlows.Api.Partners;

/// <summary>
/// Partner registrations. A partner organisation registers and updates only itself (its token's
/// <c>org</c>); an operator may manage any. Reads are open to partners and operators: members must see
/// each other's capabilities and approvers to build an offering together.
/// </summary>
public static class PartnersApi
{
    /// <summary>The policy of every partners endpoint: a partner or an operator.</summary>
    internal const string ReadPolicy = "partner-or-operator";

    public static IServiceCollection AddPartnersApiPolicies(this IServiceCollection services) =>
        services.AddAuthorizationBuilder()
            .AddPolicy(ReadPolicy, p => p.RequireRole(Roles.Partner, Roles.Operator))
            .Services;

    public static IEndpointRouteBuilder MapPartnersApi(this IEndpointRouteBuilder endpoints)
    {
        var partners = endpoints.MapGroup("/api/partners").WithTags("Partners").WithPipelineProblems();
        partners.MapPost("/", RegisterAsync).RequireAuthorization(ReadPolicy)
            .ProducesProblem(StatusCodes.Status409Conflict);
        partners.MapPut("/{partnerId}", UpdateAsync).RequireAuthorization(ReadPolicy)
            .ProducesProblem(StatusCodes.Status404NotFound);
        partners.MapGet("/{partnerId}", GetAsync).RequireAuthorization(ReadPolicy)
            .ProducesProblem(StatusCodes.Status404NotFound);
        partners.MapGet("/", ListAsync).RequireAuthorization(ReadPolicy);
        return endpoints;
    }

    internal static async Task<Results<Created<Partner>, ValidationProblem, ProblemHttpResult>> RegisterAsync(
        [FromBody] Partner? partner, ClaimsPrincipal user, IPartnerDirectory directory, CancellationToken cancellationToken)
    {
        if (Check(partner, user) is { } rejected)
        {
            return rejected.Problem is { } problem ? problem : rejected.Validation!;
        }

        if ((await directory.GetManyAsync([partner!.PartnerId], cancellationToken)).Count > 0)
        {
            return TypedResults.Problem($"Partner '{partner.PartnerId}' is already registered; update it with PUT.", statusCode: StatusCodes.Status409Conflict, title: "Already registered");
        }

        await directory.UpsertAsync(partner, cancellationToken);
        return TypedResults.Created(new Uri($"/api/partners/{partner.PartnerId}", UriKind.Relative), partner);
    }

    internal static async Task<Results<Ok<Partner>, ValidationProblem, ProblemHttpResult>> UpdateAsync(
        string partnerId, [FromBody] Partner? partner, ClaimsPrincipal user, IPartnerDirectory directory, CancellationToken cancellationToken)
    {
        if (Check(partner, user) is { } rejected)
        {
            return rejected.Problem is { } problem ? problem : rejected.Validation!;
        }

        if (partner!.PartnerId != partnerId)
        {
            return TypedResults.Problem("The body's partnerId differs from the URL's.", statusCode: StatusCodes.Status400BadRequest, title: "Id mismatch");
        }

        if ((await directory.GetManyAsync([partnerId], cancellationToken)).Count == 0)
        {
            return NotFound(partnerId);
        }

        await directory.UpsertAsync(partner, cancellationToken);
        return TypedResults.Ok(partner);
    }

    internal static async Task<Results<Ok<Partner>, ProblemHttpResult>> GetAsync(string partnerId, IPartnerDirectory directory, CancellationToken cancellationToken) =>
        Identifiers.IsValid(partnerId) && (await directory.GetManyAsync([partnerId], cancellationToken)).TryGetValue(partnerId, out var partner)
            ? TypedResults.Ok(partner)
            : NotFound(partnerId);

    internal static async Task<Results<Ok<Page<Partner>>, ValidationProblem>> ListAsync(IPartnerDirectory directory, string? continuationToken, CancellationToken cancellationToken)
    {
        try
        {
            return ContinuationTokens.IsWellFormed(continuationToken)
                ? TypedResults.Ok(await directory.ListAsync(continuationToken, pageSize: 50, cancellationToken))
                : DomainProblems.InvalidContinuationToken(wellFormed: false);
        }
        catch (InvalidContinuationTokenException)
        {
            return DomainProblems.InvalidContinuationToken(wellFormed: true);
        }
    }

    private static (ProblemHttpResult? Problem, ValidationProblem? Validation)? Check(Partner? partner, ClaimsPrincipal user)
    {
        if (partner is null)
        {
            return (TypedResults.Problem("Send the partner registration as JSON.", statusCode: StatusCodes.Status400BadRequest, title: "Body required"), null);
        }

        var errors = PartnerRules.Validate(partner);
        if (errors.Count > 0)
        {
            return (null, DomainProblems.Validation("The partner registration is not valid", errors));
        }

        if (!user.IsInRole(Roles.Operator) && user.Organisation() != partner.PartnerId)
        {
            return (TypedResults.Problem($"Your organisation may only register or update itself ('{user.Organisation()}').", statusCode: StatusCodes.Status403Forbidden, title: "Not your organisation"), null);
        }

        return null;
    }

    private static ProblemHttpResult NotFound(string partnerId) =>
        TypedResults.Problem($"No partner '{partnerId}'.", statusCode: StatusCodes.Status404NotFound, title: "Not found");
}
