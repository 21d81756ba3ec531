using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;

namespace EcosystemFlows.Functions.Hosting;

/// <summary>
/// What the local host's exception handler does, for HTTP functions: a failure is offered to the same
/// <see cref="IExceptionHandler"/>s (registered once by <c>AddRequestFailureProblems</c>: a request that could not be
/// read keeps its 4xx with the field that was wrong, an unreachable dependency answers 503 with <c>Retry-After</c>);
/// anything else is a 500 problem without details, never a stack trace. Non-HTTP invocations pass through: the
/// Durable extension records their failures.
/// </summary>
public sealed class ProblemsMiddleware(IEnumerable<IExceptionHandler> handlers, IProblemDetailsService problems) : IFunctionsWorkerMiddleware
{
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

        try
        {
            await next(context);
        }
        catch (Exception exception) when (!http.Response.HasStarted)
        {
            foreach (var handler in handlers)
            {
                if (await handler.TryHandleAsync(http, exception, http.RequestAborted))
                {
                    return;
                }
            }

            var status = exception is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError;
            http.Response.StatusCode = status;
            await problems.WriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = { Status = status }, Exception = exception });
        }
    }
}
