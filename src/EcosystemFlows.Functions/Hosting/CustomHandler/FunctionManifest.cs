using System.Text.Json;
using System.Text.Json.Nodes;
using EcosystemFlows.Azure.ServiceBus.Triggers;
using Microsoft.AspNetCore.Routing.Patterns;

namespace EcosystemFlows.Functions.Hosting.CustomHandler;

/// <summary>One function as the Functions host sees it: its name (the folder) and its function.json bindings.</summary>
internal sealed record FunctionDefinition(string Name, JsonObject Bindings);

/// <summary>
/// The app's functions for the Azure Functions host, derived from its own registrations so function.json
/// never drifts from the code: one HTTP function per routed endpoint (the route as the host expects it,
/// relative to host.json's <c>extensions.http.routePrefix</c>). No Service Bus functions: the Service Bus trigger
/// extension cannot be obtained, so Service Bus messages are consumed in-process by the hosted SDK processor
/// (<see cref="ServiceBusTriggerRegistration"/>), in Azure as locally. Written at publish time by <c>generate-functions</c>.
/// </summary>
internal sealed class FunctionManifest
{
    /// <summary>The trigger binding name, i.e. the key of the message in the invocation's <c>Data</c>.</summary>
    public const string TriggerBindingName = "message";

    /// <summary>The host's own routes (admin API, extension webhooks): a function route may not start with these.</summary>
    private static readonly string[] ReservedFirstSegments = ["admin", "runtime"];

    private static readonly JsonSerializerOptions WriteOptions = new() { WriteIndented = true };

    private FunctionManifest(IReadOnlyList<FunctionDefinition> functions) => Functions = functions;

    /// <summary>The functions, ordered by name.</summary>
    public IReadOnlyList<FunctionDefinition> Functions { get; }

    /// <summary>
    /// Builds the manifest from the endpoints (<paramref name="endpoints"/>) and host.json's route prefix (<paramref name="routePrefix"/>, the host's default <c>api</c> when unset).
    /// Throws when a registration cannot be expressed as a function (a name clash, a route outside the prefix or under
    /// one the host reserves).
    /// </summary>
    public static FunctionManifest Create(
        EndpointDataSource endpoints, string? routePrefix)
    {
        var prefix = (routePrefix ?? "api").Trim('/');
        var functions = new List<FunctionDefinition>();
        foreach (var endpoint in endpoints.Endpoints.OfType<RouteEndpoint>())
        {
            if (endpoint.Metadata.GetMetadata<FunctionsHostInvocationMetadata>() is not null)
            {
                // The host's own way in for non-HTTP triggers, not an HTTP function.
                continue;
            }

            var path = RouteTemplate(endpoint.RoutePattern);
            if (prefix.Length > 0 && !path.StartsWith(prefix + "/", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException(
                    $"The endpoint /{path} is outside the Functions route prefix '{prefix}' (host.json extensions.http.routePrefix); the host could not forward it.");
            }

            var route = prefix.Length == 0 ? path : path[(prefix.Length + 1)..];
            var firstSegment = route.Split('/')[0];
            if (ReservedFirstSegments.Contains(firstSegment, StringComparer.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException(
                    $"The endpoint /{path} starts with '{firstSegment}/', which the Functions host reserves for itself; the host could not forward it.");
            }

            var methods = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods
                .Select(m => m.ToLowerInvariant()).Order(StringComparer.Ordinal).ToArray() ?? [];
            var trigger = new JsonObject
            {
                ["type"] = "httpTrigger",
                ["direction"] = "in",
                ["name"] = "req",
                // The app authenticates every request itself (Entra ID bearer tokens); function keys would
                // only make clients send a second secret.
                ["authLevel"] = "anonymous",
                ["route"] = route,
            };
            if (methods.Length > 0)
            {
                trigger["methods"] = new JsonArray([.. methods.Select(m => (JsonNode)m)]);
            }

            // An httpTrigger in and an http out, nothing else: the host forwards the request as is
            // (customHandler.enableForwardingHttpRequest).
            functions.Add(new FunctionDefinition(
                HttpFunctionName(methods, route),
                Bindings(trigger, new JsonObject { ["type"] = "http", ["direction"] = "out", ["name"] = "res" })));
        }

        var clash = functions.GroupBy(f => f.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (clash is not null)
        {
            throw new InvalidOperationException($"Two functions would be named '{clash.Key}'; function names must be unique.");
        }

        return new FunctionManifest([.. functions.OrderBy(f => f.Name, StringComparer.Ordinal)]);
    }

    /// <summary>The function name of a Service Bus handler: its type name without the <c>Function</c> suffix.</summary>
    public static string ServiceBusFunctionName(Type handlerType)
    {
        ArgumentNullException.ThrowIfNull(handlerType);
        var name = handlerType.Name;
        return name.EndsWith("Function", StringComparison.Ordinal) && name.Length > "Function".Length ? name[..^"Function".Length] : name;
    }

    /// <summary>
    /// Writes <c>&lt;name&gt;/function.json</c> per function under <paramref name="directory"/> (the app's
    /// publish folder, next to host.json) and removes function folders left from an earlier publish.
    /// </summary>
    public void WriteTo(string directory)
    {
        Directory.CreateDirectory(directory);
        var names = Functions.Select(f => f.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var stale in Directory.EnumerateDirectories(directory)
                     .Where(d => File.Exists(Path.Combine(d, "function.json")) && !names.Contains(Path.GetFileName(d))))
        {
            Directory.Delete(stale, recursive: true);
        }

        foreach (var function in Functions)
        {
            var folder = Directory.CreateDirectory(Path.Combine(directory, function.Name));
            File.WriteAllText(Path.Combine(folder.FullName, "function.json"), function.Bindings.ToJsonString(WriteOptions) + "\n");
        }
    }

    private static JsonObject Bindings(params JsonObject[] bindings) => new() { ["bindings"] = new JsonArray(bindings) };

    /// <summary>
    /// The route in the host's template syntax (ASP.NET Core's, relative, no leading slash): literals,
    /// parameters with their constraints, defaults and optionality; a catch-all as <c>{*name}</c>.
    /// </summary>
    private static string RouteTemplate(RoutePattern pattern)
    {
        var segments = pattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
        {
            RoutePatternLiteralPart literal => literal.Content,
            RoutePatternSeparatorPart separator => separator.Content,
            RoutePatternParameterPart parameter => Parameter(parameter, pattern),
            _ => throw new InvalidOperationException($"Route {pattern.RawText}: unsupported part {part.GetType().Name}"),
        })));
        var route = string.Join('/', segments);
        return route.Length > 0 ? route : throw new InvalidOperationException("An endpoint at the root path cannot be a Functions route.");
    }

    private static string Parameter(RoutePatternParameterPart parameter, RoutePattern pattern)
    {
        var policies = parameter.ParameterPolicies.Select(policy => policy.Content
            ?? throw new InvalidOperationException($"Route {pattern.RawText}: the constraint on '{parameter.Name}' is an object, not a template constraint"));
        return "{" + (parameter.IsCatchAll ? "*" : "") + parameter.Name + string.Concat(policies.Select(p => ":" + p))
            + (parameter.Default is { } value ? "=" + value : "") + (parameter.IsOptional ? "?" : "") + "}";
    }

    /// <summary>
    /// A stable name from the methods and the route (<c>get-api-offerings-offeringid</c>): letters, digits
    /// and dashes, starting with a letter, as the host requires.
    /// </summary>
    private static string HttpFunctionName(IReadOnlyList<string> methods, string route)
    {
        var words = (methods.Count == 0 ? ["any"] : methods).Concat(route.Split('/'))
            .Select(w => new string([.. w.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-')]).Trim('-'))
            .Where(w => w.Length > 0);
        var name = string.Join('-', words);
        while (name.Contains("--", StringComparison.Ordinal))
        {
            name = name.Replace("--", "-", StringComparison.Ordinal);
        }

        return name.Length <= 128 ? name : throw new InvalidOperationException($"Function name '{name}' is longer than the host's 128 characters.");
    }
}
