using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace EcosystemFlows.Api;

/// <summary>
/// Turns what the framework refuses while binding a request (malformed JSON, a value of the wrong type,
/// too deep nesting, a missing body, a wrong content type, an unparsable query value, a body over the
/// limit) into an RFC 9457 problem with its own 4xx status: a JSON error names the field it was found at.
/// Never a stack trace. Needs <see cref="RouteHandlerOptions.ThrowOnBadRequest"/>, so the framework
/// throws instead of answering an empty 400.
/// </summary>
internal sealed class BadRequestExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad)
        {
            return false;
        }

        httpContext.Response.StatusCode = bad.StatusCode;
        ProblemDetails problem = bad.InnerException is JsonException json
            ? new HttpValidationProblemDetails(new Dictionary<string, string[]> { [Field(json.Path)] = [Describe(json)] })
            {
                Title = "The request body is not valid JSON for this operation",
            }
            : new ProblemDetails { Title = "The request could not be read", Detail = bad.Message };
        problem.Status = bad.StatusCode;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem, Exception = exception });
    }

    /// <summary><c>$.terms.members[0].role</c> → <c>terms.members[0].role</c>, as the domain's field names.</summary>
    private static string Field(string? path) => path is null or "$" ? "$" : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path;

    /// <summary>The serializer's message without its position suffix (the field is the key already).</summary>
    private static string Describe(JsonException json)
    {
        var message = json.Message;
        var at = message.IndexOf(" Path:", StringComparison.Ordinal);
        return at > 0 ? message[..at] : message;
    }
}

/// <summary>Registration of <see cref="BadRequestExceptionHandler"/> and <see cref="DependencyUnavailableExceptionHandler"/>.</summary>
internal static class BadRequestProblems
{
    public static IServiceCollection AddRequestFailureProblems(this IServiceCollection services)
    {
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddExceptionHandler<BadRequestExceptionHandler>();
        services.AddExceptionHandler<DependencyUnavailableExceptionHandler>();
        return services;
    }
}
