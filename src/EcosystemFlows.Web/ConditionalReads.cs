using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Net.Http.Headers;

namespace EcosystemFlows.Web;

/// <summary>
/// Conditional reads for the API the web app polls: every successful JSON answer to a <c>GET /api/…</c> carries a strong
/// ETag over its body, and a request whose <c>If-None-Match</c> names it gets <c>304 Not Modified</c> without the body.
/// The browser revalidates on its own (<c>private, no-cache</c>), so a page polling an unchanged offering receives a few
/// headers instead of the offering. The answer is still computed: this saves transfer and parsing, not server work.
/// </summary>
public static class ConditionalReads
{
    /// <summary>
    /// Adds the handling as a startup filter, so it wraps the whole request pipeline: in the local host, and in the Functions
    /// worker, whose ASP.NET Core pipeline (routing to the function endpoints) is the extension's, not ours to write.
    /// </summary>
    public static IServiceCollection AddConditionalApiReads(this IServiceCollection services) =>
        services.AddTransient<IStartupFilter, ConditionalReadsFilter>();

    /// <summary>Adds the ETag / 304 handling to <paramref name="app"/>.</summary>
    internal static IApplicationBuilder UseConditionalApiReads(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (!HttpMethods.IsGet(context.Request.Method) || !context.Request.Path.StartsWithSegments("/api", StringComparison.Ordinal))
        {
            await next(context);
            return;
        }

        var body = context.Response.Body;
        using var buffer = new MemoryStream();
        context.Response.Body = buffer;
        try
        {
            await next(context);
        }
        finally
        {
            context.Response.Body = body;
        }

        var response = context.Response;
        if (response.StatusCode == StatusCodes.Status200OK && response.ContentType?.StartsWith("application/json", StringComparison.Ordinal) == true)
        {
            var etag = new EntityTagHeaderValue($"\"{Convert.ToHexStringLower(SHA256.HashData(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)))[..32]}\"");
            response.Headers.ETag = etag.ToString();
            // Answers depend on the caller's token: a shared cache must not keep them, the browser must revalidate.
            response.Headers.CacheControl = "private, no-cache";
            response.Headers.Vary = "Authorization";
            if (context.Request.GetTypedHeaders().IfNoneMatch.Any(tag => tag.Compare(etag, useStrongComparison: true)))
            {
                response.StatusCode = StatusCodes.Status304NotModified;
                response.ContentLength = null;
                response.Headers.ContentType = default;
                return;
            }
        }

        buffer.Position = 0;
        await buffer.CopyToAsync(body, context.RequestAborted);
    });

    private sealed class ConditionalReadsFilter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.UseConditionalApiReads();
            next(app);
        };
    }
}
