namespace EcosystemFlows.Functions.Hosting.CustomHandler;

/// <summary><c>EcosystemFlows.Functions generate-functions &lt;dir&gt;</c>: writes function.json files for the Functions host (run by publish).</summary>
internal static class FunctionManifestCommand
{
    /// <summary>The host.json setting function routes are relative to.</summary>
    public const string RoutePrefixSetting = "extensions:http:routePrefix";

    /// <summary>The manifest from the app's endpoints, its Service Bus triggers and host.json's route prefix.</summary>
    public static FunctionManifest Create(EndpointDataSource endpoints, IServiceProvider services) => FunctionManifest.Create(
        endpoints,
        services.GetRequiredService<IConfiguration>()[RoutePrefixSetting]);

    public static int Run(WebApplication app, string directory, TextWriter output, TextWriter error)
    {
        FunctionManifest manifest;
        try
        {
            // The app's own data sources: the DI composite only sees them once the started app has built its pipeline.
            using var endpoints = new CompositeEndpointDataSource(((IEndpointRouteBuilder)app).DataSources);
            manifest = Create(endpoints, app.Services);
        }
        catch (InvalidOperationException ex)
        {
            error.WriteLine($"generate-functions: {ex.Message}");
            return 1;
        }

        manifest.WriteTo(directory);
        foreach (var function in manifest.Functions)
        {
            output.WriteLine($"{function.Name}/function.json");
        }

        return 0;
    }
}
