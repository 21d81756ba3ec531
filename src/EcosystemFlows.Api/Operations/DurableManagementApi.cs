using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;
using DurableTask.Core.History;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace EcosystemFlows.Api.Operations;

/// <summary>
/// The operator's management API in the shape of Durable Functions' HTTP API
/// (<c>/webhooks/durabletask/instances/...</c>). Errors are RFC 9457 problem details.
/// </summary>
public static class DurableManagementApi
{
    /// <summary>
    /// Route prefix of the API: Durable Functions' path without its leading <c>/runtime</c>, which the Azure
    /// Functions host reserves for itself (an HTTP function cannot take a route under it).
    /// </summary>
    public const string BasePath = "/webhooks/durabletask";

    /// <summary>Header carrying the continuation token of instance listings (request and response).</summary>
    public const string ContinuationHeader = "x-ms-continuation-token";

    private const int MaxInstanceIdLength = 255;

    private static readonly SearchValues<char> UnstorableCharacters = SearchValues.Create("/\\?#");

    /// <summary>History events in the response: their own properties (not only the base type's), enums as names.</summary>
    private static readonly JsonSerializerOptions HistoryJson = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    /// <summary>Maps the management endpoints; returns the route group so the app can add authorization.</summary>
    public static RouteGroupBuilder MapDurableManagementApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup(BasePath + "/instances").WithTags("Durable management");
        group.AddEndpointFilter(RejectUnstorableInstanceIds);
        group.MapGet("/", ListAsync);
        group.MapGet("/{instanceId}", GetAsync);
        group.MapPost("/{instanceId}/raiseEvent/{eventName}", RaiseEventAsync);
        group.MapPost("/{instanceId}/terminate", TerminateAsync);
        group.MapPost("/{instanceId}/suspend", SuspendAsync);
        group.MapPost("/{instanceId}/resume", ResumeAsync);
        group.MapPost("/{instanceId}/restart", RestartAsync);
        group.MapDelete("/{instanceId}", PurgeAsync);
        return group;
    }

    /// <summary>
    /// The response of an HTTP starter: 202 Accepted, <c>Location</c> = status URI, and the management URIs
    /// (as Durable Functions' <c>CreateCheckStatusResponse</c>).
    /// </summary>
    public static Accepted<HttpManagementPayload> CreateCheckStatusResponse(HttpRequest request, string instanceId)
    {
        var payload = CreateHttpManagementPayload(request, instanceId);
        return TypedResults.Accepted(payload.StatusQueryGetUri, payload);
    }

    /// <summary>The management URIs of <paramref name="instanceId"/>, absolute, based on <paramref name="request"/>.</summary>
    public static HttpManagementPayload CreateHttpManagementPayload(HttpRequest request, string instanceId)
    {
        ArgumentNullException.ThrowIfNull(request);
        var instance = $"{request.Scheme}://{request.Host}{request.PathBase}{BasePath}/instances/{Uri.EscapeDataString(instanceId)}";
        return new HttpManagementPayload(
            instanceId,
            instance,
            instance + "/raiseEvent/{eventName}",
            instance + "/terminate?reason={text}",
            instance + "/suspend?reason={text}",
            instance + "/resume?reason={text}",
            instance,
            instance + "/restart");
    }

    internal static async Task<Results<Ok<InstanceStatusResponse>, Accepted<InstanceStatusResponse>, ProblemHttpResult>> GetAsync(
        string instanceId, HttpRequest request, [FromServices] DurableTaskClient client, bool? showHistory, bool? showInput, CancellationToken cancellationToken)
    {
        var metadata = await client.GetInstanceAsync(instanceId, getInputsAndOutputs: true, cancellationToken).ConfigureAwait(false);
        if (metadata is null)
        {
            return NotFound(instanceId);
        }

        var history = showHistory == true ? await client.GetOrchestrationHistoryAsync(instanceId, cancellationToken).ConfigureAwait(false) : null;
        var body = ToResponse(metadata, showInput ?? true, history);
        return metadata.IsCompleted
            ? TypedResults.Ok(body)
            : TypedResults.Accepted(CreateHttpManagementPayload(request, instanceId).StatusQueryGetUri, body);
    }

    internal static async Task<Results<Ok<List<InstanceStatusResponse>>, ProblemHttpResult>> ListAsync(
        HttpContext context,
        [FromServices] DurableTaskClient client,
        string? runtimeStatus,
        DateTimeOffset? createdTimeFrom,
        DateTimeOffset? createdTimeTo,
        string? instanceIdPrefix,
        int? top,
        bool? showInput,
        CancellationToken cancellationToken)
    {
        var statuses = new List<OrchestrationRuntimeStatus>();
        foreach (var value in (runtimeStatus ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Enum.TryParse<OrchestrationRuntimeStatus>(value, ignoreCase: true, out var status) || !Enum.IsDefined(status))
            {
                return TypedResults.Problem(title: "Invalid runtimeStatus", detail: $"'{value}' is not a runtime status.", statusCode: StatusCodes.Status400BadRequest);
            }

            statuses.Add(status);
        }

        if (top is < 1 or > 1000)
        {
            return TypedResults.Problem(title: "Invalid top", detail: "top must be between 1 and 1000.", statusCode: StatusCodes.Status400BadRequest);
        }

        var token = context.Request.Headers[ContinuationHeader].ToString();
        var query = new OrchestrationQuery
        {
            Statuses = statuses.Count > 0 ? statuses : null,
            CreatedFrom = createdTimeFrom,
            CreatedTo = createdTimeTo,
            InstanceIdPrefix = instanceIdPrefix,
            PageSize = top ?? 100,
            FetchInputsAndOutputs = true,
        };
        Page<OrchestrationMetadata>? page = null;
        try
        {
            var pages = client.GetAllInstancesAsync(query).AsPages(string.IsNullOrEmpty(token) ? null : token, query.PageSize);
            await foreach (var first in pages.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                page = first;
                break;
            }
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or System.Text.Json.JsonException)
        {
            return TypedResults.Problem(title: "Invalid continuation token", detail: ex.Message, statusCode: StatusCodes.Status400BadRequest);
        }

        if (page?.ContinuationToken is { } next)
        {
            context.Response.Headers[ContinuationHeader] = next;
        }

        return TypedResults.Ok((page?.Values ?? []).Select(m => ToResponse(m, showInput ?? false, null)).ToList());
    }

    internal static async Task<Results<Accepted, ProblemHttpResult>> RaiseEventAsync(
        string instanceId, string eventName, HttpRequest request, [FromServices] DurableTaskClient client, CancellationToken cancellationToken)
    {
        JsonElement? payload = null;
        using (var reader = new StreamReader(request.Body))
        {
            var text = await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
            if (!string.IsNullOrWhiteSpace(text))
            {
                try
                {
                    using var document = JsonDocument.Parse(text);
                    payload = document.RootElement.Clone();
                }
                catch (JsonException ex)
                {
                    return TypedResults.Problem(title: "Invalid event payload", detail: ex.Message, statusCode: StatusCodes.Status400BadRequest);
                }
            }
        }

        return await ControlAsync(instanceId, client, (c, ct) => c.RaiseEventAsync(instanceId, eventName, payload, ct), cancellationToken).ConfigureAwait(false);
    }

    internal static Task<Results<Accepted, ProblemHttpResult>> TerminateAsync(string instanceId, string? reason, [FromServices] DurableTaskClient client, CancellationToken cancellationToken) =>
        ControlAsync(instanceId, client, (c, ct) => c.TerminateInstanceAsync(instanceId, reason, ct), cancellationToken);

    internal static Task<Results<Accepted, ProblemHttpResult>> SuspendAsync(string instanceId, string? reason, [FromServices] DurableTaskClient client, CancellationToken cancellationToken) =>
        ControlAsync(instanceId, client, (c, ct) => c.SuspendInstanceAsync(instanceId, reason, ct), cancellationToken);

    internal static Task<Results<Accepted, ProblemHttpResult>> ResumeAsync(string instanceId, string? reason, [FromServices] DurableTaskClient client, CancellationToken cancellationToken) =>
        ControlAsync(instanceId, client, (c, ct) => c.ResumeInstanceAsync(instanceId, reason, ct), cancellationToken);

    internal static async Task<Results<Accepted<HttpManagementPayload>, ProblemHttpResult>> RestartAsync(
        string instanceId, bool? restartWithNewInstanceId, HttpRequest request, [FromServices] DurableTaskClient client, CancellationToken cancellationToken)
    {
        try
        {
            var id = await client.RestartAsync(instanceId, restartWithNewInstanceId ?? false, cancellationToken).ConfigureAwait(false);
            return CreateCheckStatusResponse(request, id);
        }
        catch (ArgumentException)
        {
            return NotFound(instanceId);
        }
        catch (InvalidOperationException ex)
        {
            return TypedResults.Problem(title: "Instance is still running", detail: ex.Message, statusCode: StatusCodes.Status409Conflict);
        }
    }

    internal static async Task<Results<Ok<PurgeResponse>, ProblemHttpResult>> PurgeAsync(string instanceId, [FromServices] DurableTaskClient client, CancellationToken cancellationToken)
    {
        var metadata = await client.GetInstanceAsync(instanceId, cancellation: cancellationToken).ConfigureAwait(false);
        if (metadata is null)
        {
            return NotFound(instanceId);
        }

        if (!metadata.IsCompleted)
        {
            return TypedResults.Problem(
                title: "Instance is not in a terminal state", detail: $"Instance '{instanceId}' is {metadata.RuntimeStatus}: terminate it first.", statusCode: StatusCodes.Status409Conflict);
        }

        var result = await client.PurgeInstanceAsync(instanceId, cancellation: cancellationToken).ConfigureAwait(false);
        return result.PurgedInstanceCount == 0 ? NotFound(instanceId) : TypedResults.Ok(new PurgeResponse(result.PurgedInstanceCount));
    }

    private static async Task<Results<Accepted, ProblemHttpResult>> ControlAsync(
        string instanceId, DurableTaskClient client, Func<DurableTaskClient, CancellationToken, Task> operation, CancellationToken cancellationToken)
    {
        var metadata = await client.GetInstanceAsync(instanceId, cancellation: cancellationToken).ConfigureAwait(false);
        if (metadata is null)
        {
            return NotFound(instanceId);
        }

        if (metadata.IsCompleted)
        {
            // Durable Functions answers 410 Gone for operations on completed, failed or terminated instances.
            return TypedResults.Problem(title: "Instance already finished", detail: $"Instance '{instanceId}' is {metadata.RuntimeStatus}.", statusCode: StatusCodes.Status410Gone);
        }

        await operation(client, cancellationToken).ConfigureAwait(false);
        return TypedResults.Accepted((string?)null);
    }

    /// <summary>
    /// An id no instance can have (Azure Table keys hold no <c>/ \ ? #</c> or control characters; Durable
    /// Functions allows at most 255 characters) is a bad request, answered before it reaches the task hub.
    /// </summary>
    private static async ValueTask<object?> RejectUnstorableInstanceIds(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        context.HttpContext.Request.RouteValues.TryGetValue("instanceId", out var value) && value is string instanceId && InvalidInstanceId(instanceId) is { } problem
            ? problem
            : await next(context).ConfigureAwait(false);

    /// <summary>The 400 problem for an instance id no instance can have, or null for a storable one.</summary>
    internal static ProblemHttpResult? InvalidInstanceId(string instanceId) =>
        instanceId.Length > MaxInstanceIdLength || instanceId.AsSpan().IndexOfAny(UnstorableCharacters) >= 0 || instanceId.Any(char.IsControl)
            ? TypedResults.Problem(
                title: "Invalid instance id",
                detail: $"An instance id has at most {MaxInstanceIdLength} characters and none of / \\ ? # or control characters.",
                statusCode: StatusCodes.Status400BadRequest)
            : null;

    private static ProblemHttpResult NotFound(string instanceId) =>
        TypedResults.Problem(title: "Instance not found", detail: $"No orchestration instance with id '{instanceId}' exists.", statusCode: StatusCodes.Status404NotFound);

    private static InstanceStatusResponse ToResponse(OrchestrationMetadata metadata, bool showInput, IList<HistoryEvent>? history) => new(
        metadata.Name,
        metadata.InstanceId,
        metadata.RuntimeStatus.ToString(),
        showInput ? ParseJson(metadata.SerializedInput) : null,
        ParseJson(metadata.SerializedCustomStatus),
        ParseJson(metadata.SerializedOutput),
        metadata.FailureDetails,
        metadata.CreatedAt,
        metadata.LastUpdatedAt,
        history is null ? null : JsonSerializer.SerializeToElement(history.Cast<object>(), HistoryJson));

    private static JsonElement? ParseJson(string? serialized)
    {
        if (serialized is null)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(serialized);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            // A non-JSON DataConverter: show the payload as a string rather than failing the status call.
            return JsonSerializer.SerializeToElement(serialized);
        }
    }
}

/// <summary>Instance status in Durable Functions' HTTP shape.</summary>
/// <param name="Name">Orchestrator name.</param>
/// <param name="InstanceId">Instance id.</param>
/// <param name="RuntimeStatus">Runtime status name.</param>
/// <param name="Input">Input (omitted with <c>showInput=false</c>).</param>
/// <param name="CustomStatus">Custom status.</param>
/// <param name="Output">Output, or the termination reason.</param>
/// <param name="FailureDetails">Failure details when Failed.</param>
/// <param name="CreatedTime">Creation time.</param>
/// <param name="LastUpdatedTime">Last update time.</param>
/// <param name="HistoryEvents">History (with <c>showHistory=true</c>).</param>
public sealed record InstanceStatusResponse(
    string Name,
    string InstanceId,
    string RuntimeStatus,
    JsonElement? Input,
    JsonElement? CustomStatus,
    JsonElement? Output,
    TaskFailureDetails? FailureDetails,
    DateTimeOffset CreatedTime,
    DateTimeOffset LastUpdatedTime,
    JsonElement? HistoryEvents);

/// <summary>The management URIs of an instance (Durable Functions' <c>HttpManagementPayload</c>).</summary>
/// <param name="Id">Instance id.</param>
/// <param name="StatusQueryGetUri">GET: status.</param>
/// <param name="SendEventPostUri">POST: raise an event (replace <c>{eventName}</c>).</param>
/// <param name="TerminatePostUri">POST: terminate.</param>
/// <param name="SuspendPostUri">POST: suspend.</param>
/// <param name="ResumePostUri">POST: resume.</param>
/// <param name="PurgeHistoryDeleteUri">DELETE: purge.</param>
/// <param name="RestartPostUri">POST: restart.</param>
public sealed record HttpManagementPayload(
    string Id,
    string StatusQueryGetUri,
    string SendEventPostUri,
    string TerminatePostUri,
    string SuspendPostUri,
    string ResumePostUri,
    string PurgeHistoryDeleteUri,
    string RestartPostUri);

/// <summary>Result of a purge request.</summary>
/// <param name="InstancesDeleted">Number of instances deleted.</param>
public sealed record PurgeResponse(int InstancesDeleted);
