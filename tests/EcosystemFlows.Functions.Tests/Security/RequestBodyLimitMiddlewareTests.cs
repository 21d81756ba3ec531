using EcosystemFlows.Functions.Http;
using EcosystemFlows.Functions.Security;
using Microsoft.Extensions.DependencyInjection;

namespace EcosystemFlows.Functions.Tests.Security;

/// <summary>The local host's body limit (default 1 MiB) in front of HTTP functions.</summary>
public sealed class RequestBodyLimitMiddlewareTests : IDisposable
{
    private static readonly string StartOffering = $"{typeof(OfferingFunctions).FullName}.{nameof(OfferingFunctions.StartOffering)}";

    private readonly ServiceProvider _services = FunctionKit.Services(FunctionKit.Ports());

    public void Dispose() => _services.Dispose();

    [Theory]
    [InlineData(1024 * 1024 + 1, 413, false)]
    [InlineData(1024 * 1024, 200, true)]
    public async Task Invoke_DeclaredBodyLength_IsRefusedWith413OnlyOverTheLimit(long length, int status, bool runs)
    {
        var request = FunctionKit.Request(_services, "POST", "/api/offerings", "{}");
        request.ContentLength = length;
        var ran = false;

        await new RequestBodyLimitMiddleware().Invoke(FunctionKit.Invocation(_services, StartOffering, request).Object, _ =>
        {
            ran = true;
            return Task.CompletedTask;
        });

        var (answered, body) = FunctionKit.Answer(request);
        Assert.Equal(status, answered);
        Assert.Equal(runs, ran);
        Assert.Equal(runs, body.Length == 0);
    }
}
