using EcosystemFlows.Api.Security;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;

namespace EcosystemFlows.Functions.Security;

/// <summary>
/// The local host's request body limit for HTTP functions (<c>ApiLimits:MaxRequestBodyBytes</c>, the same check): a
/// declared body over the limit answers 413 before authentication or the function runs, an undeclared one is capped
/// while it is read. Rate limits stay with the local host (README: put them in front of the Function App).
/// </summary>
public sealed class RequestBodyLimitMiddleware : IFunctionsWorkerMiddleware
{
    /// <inheritdoc />
    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (context.GetHttpContext() is { } http && await RequestLimitsExtensions.RejectOversizedBodyAsync(http))
        {
            return;
        }

        await next(context);
    }
}
