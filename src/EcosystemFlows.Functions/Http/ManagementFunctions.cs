using EcosystemFlows.Api.Operations;
using EcosystemFlows.Workflows.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace EcosystemFlows.Functions.Http;

/// <summary>
/// The operator's management API (<c>/webhooks/durabletask/instances…</c>) as HTTP functions over the handlers the
/// local host maps (<see cref="DurableManagementApi"/>). Every route with an instance id first refuses an id no
/// instance can have, as the local host's endpoint filter does.
/// </summary>
public static class ManagementFunctions
{
    private const string Instances = "webhooks/durabletask/instances";

    /// <summary><c>GET /webhooks/durabletask/instances</c>.</summary>
    [Function(nameof(ListInstances))]
    [Authorize(Policy = Roles.Operator)]
    public static async Task<IResult> ListInstances(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Instances)] HttpRequest request,
        [DurableClient] DurableTaskClient client)
    {
        ArgumentNullException.ThrowIfNull(request);
        return await DurableManagementApi.ListAsync(
            request.HttpContext,
            client,
            request.Query("runtimeStatus"),
            request.QueryDateTimeOffset("createdTimeFrom"),
            request.QueryDateTimeOffset("createdTimeTo"),
            request.Query("instanceIdPrefix"),
            request.QueryInt("top"),
            request.QueryBool("showInput"),
            request.HttpContext.RequestAborted);
    }

    /// <summary><c>GET /webhooks/durabletask/instances/{instanceId}</c>.</summary>
    [Function(nameof(GetInstance))]
    [Authorize(Policy = Roles.Operator)]
    public static async Task<IResult> GetInstance(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Instances + "/{instanceId}")] HttpRequest request,
        string instanceId,
        [DurableClient] DurableTaskClient client)
    {
        ArgumentNullException.ThrowIfNull(request);
        return DurableManagementApi.InvalidInstanceId(instanceId) ?? (IResult)await DurableManagementApi.GetAsync(
            instanceId, request, client, request.QueryBool("showHistory"), request.QueryBool("showInput"), request.HttpContext.RequestAborted);
    }

    /// <summary><c>POST /webhooks/durabletask/instances/{instanceId}/raiseEvent/{eventName}</c>.</summary>
    [Function(nameof(RaiseEvent))]
    [Authorize(Policy = Roles.Operator)]
    public static async Task<IResult> RaiseEvent(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = Instances + "/{instanceId}/raiseEvent/{eventName}")] HttpRequest request,
        string instanceId,
        string eventName,
        [DurableClient] DurableTaskClient client)
    {
        ArgumentNullException.ThrowIfNull(request);
        return DurableManagementApi.InvalidInstanceId(instanceId)
            ?? (IResult)await DurableManagementApi.RaiseEventAsync(instanceId, eventName, request, client, request.HttpContext.RequestAborted);
    }

    /// <summary><c>POST /webhooks/durabletask/instances/{instanceId}/terminate</c>.</summary>
    [Function(nameof(TerminateInstance))]
    [Authorize(Policy = Roles.Operator)]
    public static async Task<IResult> TerminateInstance(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = Instances + "/{instanceId}/terminate")] HttpRequest request,
        string instanceId,
        [DurableClient] DurableTaskClient client)
    {
        ArgumentNullException.ThrowIfNull(request);
        return DurableManagementApi.InvalidInstanceId(instanceId)
            ?? (IResult)await DurableManagementApi.TerminateAsync(instanceId, request.Query("reason"), client, request.HttpContext.RequestAborted);
    }

    /// <summary><c>POST /webhooks/durabletask/instances/{instanceId}/suspend</c>.</summary>
    [Function(nameof(SuspendInstance))]
    [Authorize(Policy = Roles.Operator)]
    public static async Task<IResult> SuspendInstance(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = Instances + "/{instanceId}/suspend")] HttpRequest request,
        string instanceId,
        [DurableClient] DurableTaskClient client)
    {
        ArgumentNullException.ThrowIfNull(request);
        return DurableManagementApi.InvalidInstanceId(instanceId)
            ?? (IResult)await DurableManagementApi.SuspendAsync(instanceId, request.Query("reason"), client, request.HttpContext.RequestAborted);
    }

    /// <summary><c>POST /webhooks/durabletask/instances/{instanceId}/resume</c>.</summary>
    [Function(nameof(ResumeInstance))]
    [Authorize(Policy = Roles.Operator)]
    public static async Task<IResult> ResumeInstance(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = Instances + "/{instanceId}/resume")] HttpRequest request,
        string instanceId,
        [DurableClient] DurableTaskClient client)
    {
        ArgumentNullException.ThrowIfNull(request);
        return DurableManagementApi.InvalidInstanceId(instanceId)
            ?? (IResult)await DurableManagementApi.ResumeAsync(instanceId, request.Query("reason"), client, request.HttpContext.RequestAborted);
    }

    /// <summary><c>POST /webhooks/durabletask/instances/{instanceId}/restart</c>.</summary>
    [Function(nameof(RestartInstance))]
    [Authorize(Policy = Roles.Operator)]
    public static async Task<IResult> RestartInstance(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = Instances + "/{instanceId}/restart")] HttpRequest request,
        string instanceId,
        [DurableClient] DurableTaskClient client)
    {
        ArgumentNullException.ThrowIfNull(request);
        return DurableManagementApi.InvalidInstanceId(instanceId) ?? (IResult)await DurableManagementApi.RestartAsync(
            instanceId, request.QueryBool("restartWithNewInstanceId"), request, client, request.HttpContext.RequestAborted);
    }

    /// <summary><c>DELETE /webhooks/durabletask/instances/{instanceId}</c>.</summary>
    [Function(nameof(PurgeInstance))]
    [Authorize(Policy = Roles.Operator)]
    public static async Task<IResult> PurgeInstance(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = Instances + "/{instanceId}")] HttpRequest request,
        string instanceId,
        [DurableClient] DurableTaskClient client)
    {
        ArgumentNullException.ThrowIfNull(request);
        return DurableManagementApi.InvalidInstanceId(instanceId)
            ?? (IResult)await DurableManagementApi.PurgeAsync(instanceId, client, request.HttpContext.RequestAborted);
    }
}
