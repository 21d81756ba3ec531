using System.Net.Sockets;
using EcosystemFlows.Functions.Hosting;
using EcosystemFlows.Functions.Http;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace EcosystemFlows.Functions.Tests.Hosting;

/// <summary>
/// Failures of HTTP functions go through the exception handlers the local host registers: the same statuses and RFC
/// 9457 problems, never a stack trace; non-HTTP invocations keep their exception for the Durable extension to record.
/// </summary>
public sealed class ProblemsMiddlewareTests : IDisposable
{
    private static readonly string StartOffering = $"{typeof(OfferingFunctions).FullName}.{nameof(OfferingFunctions.StartOffering)}";

    private readonly ServiceProvider _services = FunctionKit.Services(FunctionKit.Ports());

    public void Dispose() => _services.Dispose();

    private ProblemsMiddleware Middleware => new(_services.GetServices<IExceptionHandler>(), _services.GetRequiredService<IProblemDetailsService>());

    [Fact]
    public async Task Invoke_DependencyUnreachable_Answers503WithRetryAfter()
    {
        var request = FunctionKit.Request(_services, "POST", "/api/offerings");

        await Middleware.Invoke(FunctionKit.Invocation(_services, StartOffering, request).Object, _ => throw new SocketException((int)SocketError.ConnectionRefused));

        var (status, body) = FunctionKit.Answer(request);
        Assert.Equal(503, status);
        Assert.Equal("5", request.HttpContext.Response.Headers.RetryAfter.ToString());
        Assert.Contains("application/problem+json", request.HttpContext.Response.ContentType, StringComparison.Ordinal);
        Assert.DoesNotContain("SocketException", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invoke_UnexpectedFailure_Answers500ProblemWithoutDetails()
    {
        var request = FunctionKit.Request(_services, "POST", "/api/offerings");

        await Middleware.Invoke(FunctionKit.Invocation(_services, StartOffering, request).Object, _ => throw new InvalidOperationException("secret internals"));

        var (status, body) = FunctionKit.Answer(request);
        Assert.Equal(500, status);
        Assert.Contains("application/problem+json", request.HttpContext.Response.ContentType, StringComparison.Ordinal);
        Assert.DoesNotContain("secret internals", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invoke_NonHttpInvocationFails_KeepsTheException()
    {
        var activity = FunctionKit.Invocation(_services, "EcosystemFlows.Functions.Workflows.JointOfferingFunctions.RunCreateSkuActivity", request: null);

        await Assert.ThrowsAsync<InvalidOperationException>(() => Middleware.Invoke(activity.Object, _ => throw new InvalidOperationException("activity failed")));
    }
}
