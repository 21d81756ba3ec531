using System.Globalization;
using System.Threading.RateLimiting;
using EcosystemFlows.Azure.Configuration;
using EcosystemFlows.Workflows.Security;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace EcosystemFlows.Api.Security;

/// <summary>
/// Request body size limit (413) and per-organisation rate limiting (429 with <c>Retry-After</c>), both
/// answered with RFC 9457 problem details and configured by <see cref="ApiLimitsOptions"/>.
/// </summary>
internal static class RequestLimitsExtensions
{
    public static IServiceCollection AddApiLimits(this IServiceCollection services)
    {
        services.AddRequestBodyLimit();
        // Kestrel enforces the limit on bodies without a Content-Length (chunked) while they are read.
        services.AddOptions<KestrelServerOptions>()
            .Configure<IOptions<ApiLimitsOptions>>((kestrel, limits) => kestrel.Limits.MaxRequestBodySize = limits.Value.MaxRequestBodyBytes);
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>()
            .Configure<IOptions<ApiLimitsOptions>>((rateLimiter, limits) =>
            {
                rateLimiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context => Partition(context, limits.Value));
                rateLimiter.OnRejected = (rejected, _) => RejectAsync(rejected, limits.Value);
            });
        return services;
    }

    /// <summary>The limits' options alone, for a host that applies only the body limit (the Functions app).</summary>
    public static IServiceCollection AddRequestBodyLimit(this IServiceCollection services) =>
        services.AddValidatedOptions<ApiLimitsOptions>(ApiLimitsOptions.SectionName);

    /// <summary>
    /// Refuses a body whose declared length exceeds the limit before anything reads it (413), and caps
    /// what the server lets an undeclared (chunked) body grow to.
    /// </summary>
    public static IApplicationBuilder UseRequestBodyLimit(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (!await RejectOversizedBodyAsync(context))
        {
            await next(context);
        }
    });

    /// <summary>
    /// Answers 413 (problem) when the declared body length exceeds <see cref="ApiLimitsOptions.MaxRequestBodyBytes"/>,
    /// else caps an undeclared body at it; true when the request was refused.
    /// </summary>
    public static async Task<bool> RejectOversizedBodyAsync(HttpContext context)
    {
        var max = context.RequestServices.GetRequiredService<IOptions<ApiLimitsOptions>>().Value.MaxRequestBodyBytes;
        if (context.Request.ContentLength > max)
        {
            await SecurityExtensions.WriteProblemAsync(context, StatusCodes.Status413PayloadTooLarge, "Request body too large",
                $"The body has {context.Request.ContentLength} bytes; at most {max} are accepted.");
            return true;
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = max;
        }

        return false;
    }

    /// <summary>
    /// One fixed window per organisation (the token's <c>org</c>), per user for tokens without one, and per
    /// remote address for callers without a valid token. Health probes carry <c>DisableRateLimiting</c>.
    /// </summary>
    private static RateLimitPartition<string> Partition(HttpContext context, ApiLimitsOptions limits)
    {
        var user = context.User;
        var (key, permits) = user.Identity?.IsAuthenticated == true
            ? (user.Organisation() is { Length: > 0 } organisation ? $"org:{organisation}" : $"user:{user.UserId()}", limits.PermitsPerWindow)
            : ($"ip:{context.Connection.RemoteIpAddress}", limits.AnonymousPermitsPerWindow);
        return RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = permits,
            Window = limits.Window,
            QueueLimit = 0,
            AutoReplenishment = true,
        });
    }

    private static async ValueTask RejectAsync(OnRejectedContext rejected, ApiLimitsOptions limits)
    {
        var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : limits.Window;
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        rejected.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await SecurityExtensions.WriteProblemAsync(rejected.HttpContext, StatusCodes.Status429TooManyRequests, "Too many requests",
            $"The rate limit of your organisation is used up; retry in {seconds} s.");
    }
}
