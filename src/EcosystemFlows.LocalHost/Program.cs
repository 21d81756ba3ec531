using EcosystemFlows.Api;
using EcosystemFlows.Api.Security;
using EcosystemFlows.LocalHost.Hosting;
using EcosystemFlows.Web;
using Microsoft.Extensions.Options;

var builder = WebApplication.CreateBuilder(args);
builder.AddLocalHosting();
if (args is ["mint-token", .. var tokenArgs])
{
    // Development tokens for eng/token.sh and the demo: needs only the Auth settings, no services.
    var auth = builder.Configuration.GetSection(AuthOptions.SectionName).Get<AuthOptions>() ?? new AuthOptions();
    return DevelopmentTokens.Run(auth, tokenArgs, Console.Out, Console.Error);
}

builder.AddTelemetry();
builder.Services.AddEcosystemFlows();
builder.Services.AddApiLimits();
builder.Services.AddLocalWorkflowEngine();
builder.Services.AddWebApp();
// ETag + 304 on API reads, so the web app's polling moves headers, not unchanged bodies: a startup filter around the whole
// pipeline, as in the Functions worker.
builder.Services.AddConditionalApiReads();
var app = builder.Build();
// A request the server refuses while reading it (body too large, malformed) keeps its 4xx; anything
// else is a 500 problem without details (never a stack trace).
app.UseExceptionHandler(new ExceptionHandlerOptions
{
    StatusCodeSelector = exception => exception is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError,
});
app.UseStatusCodePages();
app.UseRequestBodyLimit();
app.UseAuthentication();
// After authentication, so requests are counted against the caller's organisation.
app.UseRateLimiter();
app.UseAuthorization();
app.MapHealthEndpoints();
app.MapLocalEndpoints();
// The web app; its development sign-in exists only in Development (DevelopmentTokens refuses without the development issuer).
app.MapWebApp(app.Environment.IsDevelopment()
    ? (user, organisation, roles) => DevelopmentTokens.Mint(app.Services.GetRequiredService<IOptions<AuthOptions>>().Value, user, organisation, roles, TimeSpan.FromHours(8), DateTimeOffset.UtcNow)
    : null);
// A wrong setting must stop the app at boot with a message naming it, not fail the first request.
// Validate before the host starts so the operator sees every bad setting, not a hosting stack trace.
var configurationErrors = StartupValidation.Run(app.Services);
if (configurationErrors.Count > 0)
{
    await Console.Error.WriteLineAsync("EcosystemFlows cannot start: invalid configuration.");
    foreach (var error in configurationErrors)
    {
        await Console.Error.WriteLineAsync($"  - {error}");
    }

    return 1;
}

await app.RunAsync();
return 0;

/// <summary>The app's entry point; public so integration tests can host it with WebApplicationFactory.</summary>
public partial class Program;
