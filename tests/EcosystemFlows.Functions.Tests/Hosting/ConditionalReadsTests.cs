using System.Text;
using EcosystemFlows.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace EcosystemFlows.Functions.Tests.Hosting;

/// <summary>
/// The ETag / 304 handling as the worker gets it: a startup filter around an ASP.NET Core pipeline whose endpoint (here a
/// stand-in for the function endpoint the worker's integration routes to) writes the answer.
/// </summary>
public sealed class ConditionalReadsTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddConditionalApiReads().BuildServiceProvider();

    public void Dispose() => _services.Dispose();

    [Fact]
    public async Task ApiRead_AnswersAnETag_ThenTheSameETagGets304WithoutBody()
    {
        var pipeline = Pipeline("""{"offeringId":"off-1"}""");

        var first = await SendAsync(pipeline, "GET", "/api/offerings/off-1");
        var etag = first.Response.Headers.ETag.ToString();
        var again = await SendAsync(pipeline, "GET", "/api/offerings/off-1", etag);

        Assert.Equal((200, """{"offeringId":"off-1"}""", "private, no-cache"), (first.Response.StatusCode, Body(first), first.Response.Headers.CacheControl.ToString()));
        Assert.StartsWith("\"", etag, StringComparison.Ordinal);
        Assert.Equal((304, ""), (again.Response.StatusCode, Body(again)));
    }

    [Fact]
    public async Task ChangedAnswerOrOtherRequests_AreAnsweredInFullWithoutAnETag()
    {
        var before = await SendAsync(Pipeline("""{"stage":"AwaitingSignOffs"}"""), "GET", "/api/offerings/off-1");

        var changed = await SendAsync(Pipeline("""{"stage":"Launched"}"""), "GET", "/api/offerings/off-1", before.Response.Headers.ETag.ToString());
        var write = await SendAsync(Pipeline("""{"stage":"Launched"}"""), "POST", "/api/offerings/off-1/retire");
        var page = await SendAsync(Pipeline("""{"stage":"Launched"}"""), "GET", "/app/config.json");

        Assert.Equal((200, """{"stage":"Launched"}"""), (changed.Response.StatusCode, Body(changed)));
        Assert.NotEqual(before.Response.Headers.ETag.ToString(), changed.Response.Headers.ETag.ToString());
        Assert.Equal(("", ""), (write.Response.Headers.ETag.ToString(), page.Response.Headers.ETag.ToString()));
        Assert.Equal("""{"stage":"Launched"}""", Body(write));
    }

    private RequestDelegate Pipeline(string json)
    {
        Action<IApplicationBuilder> configure = app => app.Run(async context =>
        {
            context.Response.ContentType = "application/json; charset=utf-8";
            await context.Response.WriteAsync(json);
        });
        foreach (var filter in _services.GetServices<IStartupFilter>().Reverse())
        {
            configure = filter.Configure(configure);
        }

        var builder = new ApplicationBuilder(_services);
        configure(builder);
        return builder.Build();
    }

    private static async Task<HttpContext> SendAsync(RequestDelegate pipeline, string method, string path, string? ifNoneMatch = null)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Request.Path = path;
        context.Response.Body = new MemoryStream();
        if (ifNoneMatch is not null)
        {
            context.Request.Headers.IfNoneMatch = ifNoneMatch;
        }

        await pipeline(context);
        return context;
    }

    private static string Body(HttpContext context) => Encoding.UTF8.GetString(((MemoryStream)context.Response.Body).ToArray());
}
