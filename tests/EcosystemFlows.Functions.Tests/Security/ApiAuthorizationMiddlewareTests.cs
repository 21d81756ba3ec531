using EcosystemFlows.Functions.Http;
using EcosystemFlows.Functions.Security;
using EcosystemFlows.Workflows.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;

namespace EcosystemFlows.Functions.Tests.Security;

/// <summary>
/// The worker middleware that authenticates and authorizes HTTP functions, with the app's real JWT handler and
/// policies (<c>AddEcosystemFlows</c>) and a mocked <see cref="FunctionContext"/>: the function runs only for a caller
/// the local host would let through.
/// </summary>
public sealed class ApiAuthorizationMiddlewareTests : IDisposable
{
    private static readonly string StartOffering = $"{typeof(OfferingFunctions).FullName}.{nameof(OfferingFunctions.StartOffering)}";

    private readonly ServiceProvider _services = FunctionKit.Services(FunctionKit.Ports());

    public void Dispose() => _services.Dispose();

    [Fact]
    public async Task Invoke_NoToken_Answers401ProblemWithoutRunningTheFunction()
    {
        var (status, body, ran) = await InvokeAsync(StartOffering, bearer: null);

        Assert.Equal(401, status);
        Assert.Contains("\"title\":\"Unauthorized\"", body, StringComparison.Ordinal);
        Assert.False(ran);
    }

    [Fact]
    public async Task Invoke_TokenWithABrokenSignature_Answers401()
    {
        var token = FunctionKit.Token("mallory", "contoso", Roles.Partner);
        var forged = token[..^4] + (token.EndsWith("AAAA", StringComparison.Ordinal) ? "BBBB" : "AAAA");

        var (status, _, ran) = await InvokeAsync(StartOffering, forged);

        Assert.Equal(401, status);
        Assert.False(ran);
    }

    [Fact]
    public async Task Invoke_TokenWithoutTheFunctionsRole_Answers403ProblemWithoutRunningTheFunction()
    {
        var (status, body, ran) = await InvokeAsync(StartOffering, FunctionKit.Token("dave", "contoso", Roles.Approver));

        Assert.Equal(403, status);
        Assert.Contains("\"title\":\"Forbidden\"", body, StringComparison.Ordinal);
        Assert.False(ran);
    }

    [Fact]
    public async Task Invoke_TokenWithTheRole_RunsTheFunctionAsTheCaller()
    {
        var (status, _, ran, user) = await InvokeWithUserAsync(StartOffering, FunctionKit.Token("alice", "contoso", Roles.Partner));

        Assert.True(ran);
        Assert.Equal(200, status);
        Assert.Equal("alice", user?.UserId());
        Assert.Equal("contoso", user?.Organisation());
    }

    [Fact]
    public async Task Invoke_FunctionWithoutAPolicy_StillNeedsAToken()
    {
        // Deny by default: an entry point with no [Authorize] (here one that does not exist) gets the fallback policy.
        var (status, _, ran) = await InvokeAsync("EcosystemFlows.Functions.Http.NoSuchFunctions.Run", bearer: null);

        Assert.Equal(401, status);
        Assert.False(ran);
    }

    [Fact]
    public async Task Invoke_NonHttpInvocation_PassesThrough()
    {
        var middleware = new ApiAuthorizationMiddleware(
            _services.GetRequiredService<IAuthorizationPolicyProvider>(), _services.GetRequiredService<IPolicyEvaluator>());
        var context = FunctionKit.Invocation(_services, "EcosystemFlows.Functions.Workflows.JointOfferingFunctions.RunCreateSkuActivity", request: null);
        var ran = false;

        await middleware.Invoke(context.Object, _ =>
        {
            ran = true;
            return Task.CompletedTask;
        });

        Assert.True(ran);
    }

    private async Task<(int Status, string Body, bool Ran)> InvokeAsync(string entryPoint, string? bearer)
    {
        var (status, body, ran, _) = await InvokeWithUserAsync(entryPoint, bearer);
        return (status, body, ran);
    }

    private async Task<(int Status, string Body, bool Ran, System.Security.Claims.ClaimsPrincipal? User)> InvokeWithUserAsync(string entryPoint, string? bearer)
    {
        var request = FunctionKit.Request(_services, "POST", "/api/offerings", bearer: bearer);
        var context = FunctionKit.Invocation(_services, entryPoint, request);
        var middleware = new ApiAuthorizationMiddleware(
            _services.GetRequiredService<IAuthorizationPolicyProvider>(), _services.GetRequiredService<IPolicyEvaluator>());
        var ran = false;

        await middleware.Invoke(context.Object, _ =>
        {
            ran = true;
            return Task.CompletedTask;
        });

        var (status, body) = FunctionKit.Answer(request);
        return (status, body, ran, ran ? request.HttpContext.User : null);
    }
}
