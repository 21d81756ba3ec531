using EcosystemFlows.Functions.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddFunctionsHosting();
builder.AddTelemetry();
builder.Services.AddProblemDetails();
builder.Services.AddAzureDependencies();

var app = builder.Build();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.MapHealthEndpoints();

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
