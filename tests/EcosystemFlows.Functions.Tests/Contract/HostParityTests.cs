using System.Collections;
using System.Reflection;
using System.Text.Json;
using EcosystemFlows.Functions.Http;
using EcosystemFlows.LocalHost.Tests.Hosting;
using EcosystemFlows.Workflows.JointOffering;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace EcosystemFlows.Functions.Tests.Contract;

/// <summary>
/// Holds the two hosts to one surface: the <c>functions.metadata</c> the Worker SDK generated for the Functions app
/// (what the Functions host will index) lists exactly the local host's HTTP routes and methods, with the same
/// authorization policies, and exactly the orchestrators and activities the local host's worker registers, each with
/// the binding types the Durable extension expects. A route, a policy or a task added to one host only fails here.
/// </summary>
public sealed class HostParityTests : IDisposable
{
    /// <summary>
    /// Served by the local host only, by design (README: what differs between the hosts): the probes (the Functions
    /// platform has its own health checks), the API description with its reference page and that page's assets, and the
    /// web app's development sign-in (Development only; in Azure the page signs in with Entra ID).
    /// </summary>
    private static readonly string[] LocalHostOnly = ["ANY /healthz", "ANY /readyz", "GET /openapi/v1.json", "POST /app/dev/sign-in"];

    private const string ReferencePage = "GET /scalar/";

    private readonly AppFactory _localHost = new();

    public void Dispose() => _localHost.Dispose();

    [Fact]
    public void HttpFunctions_AreTheLocalHostRoutesAndMethods()
    {
        var local = LocalEndpoints().Keys
            .Where(key => !LocalHostOnly.Contains(key, StringComparer.Ordinal) && !key.StartsWith(ReferencePage, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);

        var functions = HttpFunctions().Select(f => f.Key).Order(StringComparer.Ordinal);

        Assert.Equal(local, functions);
    }

    [Fact]
    public void HttpFunctions_RequireTheLocalHostPolicies()
    {
        var local = LocalEndpoints();

        foreach (var function in HttpFunctions())
        {
            Assert.True(local.TryGetValue(function.Key, out var policies), $"{function.Key} is not a local route");
            Assert.True(
                policies.SequenceEqual(function.Policies),
                $"{function.Name} ({function.Key}) requires [{string.Join(", ", function.Policies)}]; the local host requires [{string.Join(", ", policies)}]");
        }
    }

    [Fact]
    public void HttpFunctions_BindAnAnonymousTriggerAndTheReturnValue()
    {
        foreach (var function in Metadata().Where(f => Bindings(f).Any(b => b.Type == "httpTrigger")))
        {
            var bindings = Bindings(function);
            var name = function.GetProperty("name").GetString();
            var trigger = Assert.Single(bindings, b => b.Type == "httpTrigger");
            Assert.Equal("In", trigger.Direction);
            // Authorization is the app's (JWT in worker middleware); a function key would be a second, shared secret.
            Assert.Equal("Anonymous", trigger.Binding.GetProperty("authLevel").GetString());
            var output = Assert.Single(bindings, b => b.Direction == "Out");
            Assert.True(output is { Name: "$return", Type: "http" }, $"{name} answers through {output.Name} ({output.Type})");
            Assert.All(bindings.Where(b => b.Direction == "In" && b.Type != "httpTrigger"), b => Assert.Equal("durableClient", b.Type));
        }
    }

    [Fact]
    public void OrchestratorFunctions_AreTheOrchestratorsTheLocalHostRegisters()
    {
        Assert.Equal(Registered("Orchestrators"), Triggered("orchestrationTrigger"));
        Assert.Equal(JointOfferingRegistration.Orchestrators.Select(t => t.Name).Order(StringComparer.Ordinal), Triggered("orchestrationTrigger"));
    }

    [Fact]
    public void ActivityFunctions_AreTheActivitiesTheLocalHostRegisters()
    {
        Assert.Equal(Registered("Activities"), Triggered("activityTrigger"));
        Assert.Equal(JointOfferingRegistration.Activities.Select(t => t.Name).Order(StringComparer.Ordinal), Triggered("activityTrigger"));
    }

    /// <summary>Names of the functions bound to <paramref name="triggerType"/>, each with that trigger as its only binding.</summary>
    private static IEnumerable<string> Triggered(string triggerType) =>
        Metadata()
            .Where(f => Bindings(f).Any(b => b.Type == triggerType))
            .Select(f =>
            {
                var binding = Assert.Single(Bindings(f));
                Assert.Equal("In", binding.Direction);
                return f.GetProperty("name").GetString()!;
            })
            .Order(StringComparer.Ordinal);

    /// <summary>
    /// The task names in the local host's worker registry. <c>DurableTaskRegistry</c> lists them in internal
    /// properties of name/factory pairs (read by reflection; this fails loudly if the SDK renames them).
    /// </summary>
    private IEnumerable<string> Registered(string property)
    {
        var registry = _localHost.Services.GetRequiredService<IOptionsMonitor<DurableTaskRegistry>>().Get(Options.DefaultName);
        var tasks = typeof(DurableTaskRegistry).GetProperty(property, BindingFlags.Instance | BindingFlags.NonPublic)?.GetValue(registry) as IEnumerable
            ?? throw new InvalidOperationException($"DurableTaskRegistry.{property} is not readable any more");
        return tasks.Cast<object>().Select(pair => ((TaskName)pair.GetType().GetProperty("Key")!.GetValue(pair)!).Name).Order(StringComparer.Ordinal);
    }

    /// <summary>"METHOD /route" of every local endpoint, with the authorization policies it requires.</summary>
    private Dictionary<string, string[]> LocalEndpoints() =>
        _localHost.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["ANY"]).Select(method => (
                Key: $"{method} {Route(e.RoutePattern.RawText ?? "")}",
                Policies: e.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy ?? "").Order(StringComparer.Ordinal).ToArray())))
            .ToDictionary(e => e.Key, e => e.Policies, StringComparer.Ordinal);

    private static IEnumerable<(string Key, string Name, string[] Policies)> HttpFunctions() =>
        Metadata().SelectMany(function =>
        {
            var trigger = Bindings(function).Where(b => b.Type == "httpTrigger").Select(b => b.Binding).SingleOrDefault();
            if (trigger.ValueKind == JsonValueKind.Undefined)
            {
                return [];
            }

            var name = function.GetProperty("name").GetString()!;
            var policies = AuthorizeData(function.GetProperty("entryPoint").GetString()!).Select(a => a.Policy ?? "").Order(StringComparer.Ordinal).ToArray();
            return trigger.GetProperty("methods").EnumerateArray()
                .Select(m => ($"{m.GetString()!.ToUpperInvariant()} {Route(trigger.GetProperty("route").GetString()!)}", name, policies));
        });

    private static IEnumerable<IAuthorizeData> AuthorizeData(string entryPoint)
    {
        var dot = entryPoint.LastIndexOf('.');
        var type = typeof(OfferingFunctions).Assembly.GetType(entryPoint[..dot]) ?? throw new InvalidOperationException($"no type for {entryPoint}");
        var method = type.GetMethod(entryPoint[(dot + 1)..]) ?? throw new InvalidOperationException($"no method for {entryPoint}");
        return type.GetCustomAttributes(inherit: true).Concat(method.GetCustomAttributes(inherit: true)).OfType<IAuthorizeData>();
    }

    /// <summary>A route as both hosts spell it: one leading slash, none trailing, parameters without constraints.</summary>
    private static string Route(string pattern) =>
        "/" + System.Text.RegularExpressions.Regex.Replace(pattern.Trim('/'), @"\{([^}:?=]+)[^}]*\}", "{$1}");

    private static IReadOnlyList<(string Name, string Type, string Direction, JsonElement Binding)> Bindings(JsonElement function) =>
        [.. function.GetProperty("bindings").EnumerateArray().Select(b => (
            b.GetProperty("name").GetString()!, b.GetProperty("type").GetString()!, b.GetProperty("direction").GetString()!, b))];

    /// <summary>The functions.metadata the Worker SDK wrote into the Functions app's build output (same configuration as these tests).</summary>
    private static IEnumerable<JsonElement> Metadata()
    {
        var configuration = typeof(HostParityTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "EcosystemFlows.sln")))
        {
            root = root.Parent;
        }

        var path = Path.Combine(root!.FullName, "src", "EcosystemFlows.Functions", "bin", configuration, "net10.0", "functions.metadata");
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        var functions = document.RootElement.Clone().EnumerateArray().ToList();
        Assert.NotEmpty(functions);
        return functions;
    }
}
