using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;

namespace EcosystemFlows.Functions.Security;

/// <summary>
/// JWT authentication and role authorization for HTTP functions, with the policies the local host applies
/// (registered once by <c>AddApiSecurity</c>; Entra ID in Azure, the development issuer locally): a function declares
/// its policy with <see cref="AuthorizeAttribute"/>, as a minimal-API route does with <c>RequireAuthorization</c>; a
/// function without one still needs an authenticated caller (the fallback policy: deny by default). No token or a
/// rejected one answers 401, a token without the role 403, both as the JWT handler's RFC 9457 problems. The steps are
/// ASP.NET Core's authentication and authorization middleware's, which the isolated worker does not run for functions.
/// Orchestrator, activity and other non-HTTP invocations pass through.
/// </summary>
public sealed class ApiAuthorizationMiddleware(IAuthorizationPolicyProvider policies, IPolicyEvaluator evaluator) : IFunctionsWorkerMiddleware
{
    private static readonly ConcurrentDictionary<string, IReadOnlyList<object>> AttributesByEntryPoint = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (context.GetHttpContext() is not { } http)
        {
            await next(context);
            return;
        }

        var attributes = AttributesByEntryPoint.GetOrAdd(context.FunctionDefinition.EntryPoint, AttributesOf);
        var policy = await AuthorizationPolicy.CombineAsync(policies, attributes.OfType<IAuthorizeData>(), []) ?? await policies.GetFallbackPolicyAsync();
        if (policy is null || attributes.OfType<IAllowAnonymous>().Any())
        {
            await next(context);
            return;
        }

        var authentication = await http.AuthenticateAsync();
        if (authentication.Succeeded)
        {
            http.User = authentication.Principal;
        }

        var authorization = await evaluator.AuthorizeAsync(policy, await evaluator.AuthenticateAsync(policy, http), http, resource: context);
        if (authorization.Challenged)
        {
            await http.ChallengeAsync();
        }
        else if (authorization.Forbidden)
        {
            await http.ForbidAsync();
        }
        else
        {
            await next(context);
        }
    }

    /// <summary>
    /// The authorization attributes on the function's method and its class. An entry point that cannot be found gets
    /// none, so the fallback policy applies: an unknown function is never open.
    /// </summary>
    private static IReadOnlyList<object> AttributesOf(string entryPoint)
    {
        var dot = entryPoint.LastIndexOf('.');
        var type = dot > 0 ? typeof(ApiAuthorizationMiddleware).Assembly.GetType(entryPoint[..dot]) : null;
        var method = type?.GetMethod(entryPoint[(dot + 1)..], BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static);
        return method is null
            ? []
            : [.. type!.GetCustomAttributes(inherit: true).Concat(method.GetCustomAttributes(inherit: true)).Where(a => a is IAuthorizeData or IAllowAnonymous)];
    }
}
