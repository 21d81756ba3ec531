using System.Diagnostics;
using System.Text.Json.Nodes;
using EcosystemFlows.Azure.ServiceBus.Triggers;
using EcosystemFlows.Functions.Hosting.CustomHandler;
using EcosystemFlows.Functions.Tests.Hosting;
using EcosystemFlows.Functions.Workflows.JointOffering;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace EcosystemFlows.Functions.Tests.Deployment;

/// <summary>The function.json files publish writes match the app's registrations: one per endpoint and trigger, nothing else.</summary>
public sealed class FunctionManifestTests : IAsyncLifetime, IDisposable
{
    private readonly AppFactory _app = new();
    private readonly DirectoryInfo _output = Directory.CreateTempSubdirectory("ecoflows-functions-");

    public Task InitializeAsync()
    {
        _ = _app.Server;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    public void Dispose() => _output.Delete(recursive: true);

    [Fact]
    public void WriteTo_TheApp_WritesExactlyOneFunctionJsonPerEndpointAndNoServiceBusTrigger()
    {
        var endpoints = _app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<FunctionsHostInvocationMetadata>() is null).ToList();
        var triggers = _app.Services.GetServices<ServiceBusTriggerRegistration>().Distinct().ToList();

        FunctionManifestCommand.Create(_app.Services.GetRequiredService<EndpointDataSource>(), _app.Services).WriteTo(_output.FullName);

        var written = ReadFunctions(_output.FullName);
        var http = written.Where(f => Type(f.Value) == "httpTrigger").ToList();
        Assert.NotEmpty(endpoints);
        Assert.NotEmpty(triggers);
        Assert.Equal(endpoints.Count, written.Count);
        foreach (var endpoint in endpoints)
        {
            var route = endpoint.RoutePattern.RawText!.Trim('/');
            var methods = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods.Select(m => m.ToLowerInvariant()).Order().ToList() ?? [];
            var match = Assert.Single(http, f => (string?)f.Value["route"] == route && Methods(f.Value).SequenceEqual(methods));
            Assert.Equal("anonymous", (string?)match.Value["authLevel"]);
        }

        // Consumed in-process by the hosted SDK processor (the trigger extension cannot be obtained).
        Assert.DoesNotContain(written, f => Type(f.Value) == "serviceBusTrigger");
        Assert.Equal("OfferingCommands", FunctionManifest.ServiceBusFunctionName(typeof(OfferingCommandsFunction)));
    }

    [Theory]
    [InlineData("/runtime/webhooks/durabletask/instances", "runtime/")]
    [InlineData("/admin/functions", "admin/")]
    public void Create_EndpointUnderAHostReservedRoute_Throws(string pattern, string segment)
    {
        var error = Assert.Throws<InvalidOperationException>(() => FunctionManifest.Create(Endpoints(pattern), ""));

        Assert.Contains($"starts with '{segment}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RoutePrefix_AppConfiguration_IsTheOneInTheRepositoryHostJson()
    {
        var hostJson = JsonNode.Parse(File.ReadAllText(Path.Combine(InfraContractTests.CompiledTemplate.RepositoryRoot, "host.json")))!;

        Assert.Equal(
            (string?)hostJson["extensions"]!["http"]!["routePrefix"],
            _app.Services.GetRequiredService<IConfiguration>()[FunctionManifestCommand.RoutePrefixSetting]);
        Assert.True((bool)hostJson["customHandler"]!["enableForwardingHttpRequest"]!);
        Assert.Equal("Microsoft.Azure.Functions.ExtensionBundle", (string?)hostJson["extensionBundle"]!["id"]);
    }

    [Theory]
    [InlineData("/api/offerings/{offeringId}/artifacts/{name}", "api", "offerings/{offeringId}/artifacts/{name}")]
    [InlineData("/api/files/{**path}", "api", "files/{*path}")]
    [InlineData("/api/items/{id:int}/{kind=all}/{page?}", "", "api/items/{id:int}/{kind=all}/{page?}")]
    public void Create_RouteTemplates_BecomeHostRoutesRelativeToThePrefix(string pattern, string prefix, string expected)
    {
        var manifest = FunctionManifest.Create(Endpoints(pattern), prefix);

        var function = Assert.Single(manifest.Functions);
        Assert.Equal(expected, (string?)function.Bindings["bindings"]![0]!["route"]);
        Assert.Equal(["get"], Methods(function.Bindings["bindings"]![0]!.AsObject()));
    }

    [Fact]
    public void Create_EndpointOutsideTheRoutePrefix_Throws()
    {
        var error = Assert.Throws<InvalidOperationException>(() => FunctionManifest.Create(Endpoints("/healthz"), "api"));

        Assert.Contains("outside the Functions route prefix 'api'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WriteTo_FunctionFolderFromAnEarlierPublish_IsRemovedAndOtherFoldersKept()
    {
        Directory.CreateDirectory(Path.Combine(_output.FullName, "removed-function"));
        File.WriteAllText(Path.Combine(_output.FullName, "removed-function", "function.json"), "{}");
        Directory.CreateDirectory(Path.Combine(_output.FullName, "runtimes"));

        FunctionManifest.Create(Endpoints("/api/partners"), "").WriteTo(_output.FullName);

        Assert.Equal(["get-api-partners", "runtimes"], _output.EnumerateDirectories().Select(d => d.Name).Order());
    }

    [Fact]
    public async Task GenerateFunctionsCommand_BuiltApp_WritesTheSameFunctionsAsTheRegistrations()
    {
        var expected = FunctionManifestCommand.Create(_app.Services.GetRequiredService<EndpointDataSource>(), _app.Services);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _output.FullName };
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "EcosystemFlows.Functions.dll"), "generate-functions", Path.Combine(_output.FullName, "publish") })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.True(process.ExitCode == 0, stderr);
        var publish = Path.Combine(_output.FullName, "publish");
        Assert.Equal(expected.Functions.Select(f => f.Name).Order(), Directory.EnumerateDirectories(publish).Select(Path.GetFileName).Order());
        Assert.All(expected.Functions, f => Assert.True(
            JsonNode.DeepEquals(f.Bindings, JsonNode.Parse(File.ReadAllText(Path.Combine(publish, f.Name, "function.json")))),
            $"{f.Name}/function.json differs from the registrations"));
    }

    private static Dictionary<string, JsonObject> ReadFunctions(string directory) => Directory.EnumerateDirectories(directory)
        .Where(d => File.Exists(Path.Combine(d, "function.json")))
        .ToDictionary(
            d => Path.GetFileName(d),
            d => JsonNode.Parse(File.ReadAllText(Path.Combine(d, "function.json")))!["bindings"]!.AsArray()
                .Single(b => (string?)b!["direction"] == "in")!.AsObject());

    private static string? Type(JsonObject binding) => (string?)binding["type"];

    private static IEnumerable<string> Methods(JsonObject binding) =>
        binding["methods"]?.AsArray().Select(m => (string)m!) ?? [];

    private static DefaultEndpointDataSource Endpoints(params string[] patterns) => new(patterns.Select(pattern =>
        (Endpoint)new RouteEndpoint(_ => Task.CompletedTask, RoutePatternFactory.Parse(pattern), 0, new EndpointMetadataCollection(new HttpMethodMetadata(["GET"])), pattern)));
}
