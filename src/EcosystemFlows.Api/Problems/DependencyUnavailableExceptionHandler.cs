using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Cosmos;

namespace EcosystemFlows.Api;

/// <summary>
/// A request that failed because a dependency (Cosmos DB, Storage, Service Bus) could not be reached or is
/// overloaded answers 503 with <c>Retry-After</c>, as an RFC 9457 problem: the client's request was fine and
/// a retry will succeed once the dependency is back, which a 500 would not tell it. Anything else stays a 500.
/// </summary>
internal sealed class DependencyUnavailableExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    /// <summary>What <c>Retry-After</c> advises: long enough for a restarted local service or a failover.</summary>
    internal static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(5);

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (httpContext.RequestAborted.IsCancellationRequested || !IsUnavailable(exception))
        {
            return false;
        }

        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = ((int)RetryAfter.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var problem = new ProblemDetails
        {
            Status = StatusCodes.Status503ServiceUnavailable,
            Title = "A service this request depends on is unavailable",
            Detail = "Nothing was lost; retry after the time in the Retry-After header.",
        };
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem, Exception = exception });
    }

    private static bool IsUnavailable(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case SocketException:
                case HttpRequestException { StatusCode: null }:
                case TimeoutException:
                case CosmosException { StatusCode: HttpStatusCode.ServiceUnavailable or HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests }:
                case global::Azure.RequestFailedException { Status: 0 or 503 or 408 }:
                    return true;
            }
        }

        return false;
    }
}
