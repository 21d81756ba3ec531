using System.Text.Json;
using System.Text.Json.Serialization;

namespace EcosystemFlows.Functions.Hosting.CustomHandler;

/// <summary>
/// What the Azure Functions host POSTs to <c>/{functionName}</c> for a non-HTTP trigger: <c>Data</c> holds
/// the trigger (and input binding) values keyed by binding name, <c>Metadata</c> the trigger metadata
/// (for Service Bus: MessageId, DeliveryCount, ApplicationProperties…; for a queue: Id, DequeueCount,
/// InsertionTime…) plus <c>sys</c> (MethodName, UtcNow, RandGuid).
/// </summary>
internal sealed record InvocationRequest(
    Dictionary<string, JsonElement>? Data,
    Dictionary<string, JsonElement>? Metadata);

/// <summary>
/// What the handler answers with 200: <c>Outputs</c> keyed by output binding name, <c>Logs</c> (shown in
/// the invocation's logs, Application Insights in Azure) and <c>ReturnValue</c> (for a <c>$return</c>
/// binding). The host reads it only from a success status; any other status fails the invocation.
/// </summary>
internal sealed record InvocationResponse(
    Dictionary<string, JsonElement> Outputs,
    IReadOnlyList<string> Logs,
    JsonElement? ReturnValue);

/// <summary>The host's JSON: PascalCase member names (it serializes with Json.NET defaults), read case-insensitively.</summary>
[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(InvocationRequest))]
[JsonSerializable(typeof(InvocationResponse))]
[JsonSerializable(typeof(string))]
internal sealed partial class InvocationJsonContext : JsonSerializerContext;

/// <summary>An invocation request the handler cannot decode: answered with 400, naming what is wrong.</summary>
internal sealed class InvalidInvocationException(string message) : Exception(message);
