using EcosystemFlows.Api.Offerings;
using EcosystemFlows.Domain.Ports;
using EcosystemFlows.Workflows.JointOffering;
using EcosystemFlows.Workflows.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace EcosystemFlows.Functions.Http;

/// <summary>
/// The offerings and approvals API as HTTP functions: each binds the route, the policy and the
/// <c>[DurableClient]</c>, then calls the handler the local host maps (<see cref="JointOfferingApi"/>).
/// </summary>
public sealed class OfferingFunctions(IPartnerDirectory partners, IOfferingStore store, IArtifactStore artifacts, TimeProvider time)
{
    /// <summary><c>POST /api/offerings</c>.</summary>
    [Function(nameof(StartOffering))]
    [Authorize(Policy = Roles.Partner)]
    public async Task<IResult> StartOffering(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/offerings")] HttpRequest request,
        [DurableClient] DurableTaskClient client)
    {
        ArgumentNullException.ThrowIfNull(request);
        var body = await request.ReadJsonBodyAsync<StartOfferingRequest>();
        var idempotencyKey = request.Headers.TryGetValue(JointOfferingApi.IdempotencyKeyHeader, out var key) ? key.ToString() : null;
        return await JointOfferingApi.StartAsync(body, idempotencyKey, request.HttpContext.User, Commands(client), request.HttpContext.RequestAborted);
    }

    /// <summary><c>GET /api/offerings</c>.</summary>
    [Function(nameof(ListOfferings))]
    [Authorize(Policy = Roles.Partner)]
    public async Task<IResult> ListOfferings(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/offerings")] HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return await JointOfferingApi.ListAsync(
            request.HttpContext.User, store, request.Query("status"), request.Query("continuationToken"), request.HttpContext.RequestAborted);
    }

    /// <summary><c>GET /api/offerings/{offeringId}</c>.</summary>
    [Function(nameof(GetOffering))]
    [Authorize(Policy = Roles.Partner)]
    public async Task<IResult> GetOffering(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/offerings/{offeringId}")] HttpRequest request,
        string offeringId,
        [DurableClient] DurableTaskClient client)
    {
        ArgumentNullException.ThrowIfNull(request);
        return await JointOfferingApi.GetAsync(offeringId, request.HttpContext.User, Commands(client), request.HttpContext.RequestAborted);
    }

    /// <summary><c>POST /api/offerings/{offeringId}/signoffs/{gateId}</c>.</summary>
    [Function(nameof(SignOff))]
    [Authorize(Policy = Roles.Approver)]
    public async Task<IResult> SignOff(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/offerings/{offeringId}/signoffs/{gateId}")] HttpRequest request,
        string offeringId,
        string gateId,
        [DurableClient] DurableTaskClient client)
    {
        ArgumentNullException.ThrowIfNull(request);
        var body = await request.ReadJsonBodyAsync<SignOffRequest>();
        return await JointOfferingApi.SignOffAsync(offeringId, gateId, body, request.HttpContext.User, Commands(client), request.HttpContext.RequestAborted);
    }

    /// <summary><c>POST /api/offerings/{offeringId}/cancel</c>.</summary>
    [Function(nameof(CancelOffering))]
    [Authorize(Policy = Roles.Partner)]
    public async Task<IResult> CancelOffering(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/offerings/{offeringId}/cancel")] HttpRequest request,
        string offeringId,
        [DurableClient] DurableTaskClient client)
    {
        ArgumentNullException.ThrowIfNull(request);
        var body = await request.ReadJsonBodyAsync<ReasonRequest>();
        return await JointOfferingApi.CancelAsync(offeringId, body, request.HttpContext.User, Commands(client), request.HttpContext.RequestAborted);
    }

    /// <summary><c>POST /api/offerings/{offeringId}/amendments</c>.</summary>
    [Function(nameof(AmendOffering))]
    [Authorize(Policy = Roles.Partner)]
    public async Task<IResult> AmendOffering(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/offerings/{offeringId}/amendments")] HttpRequest request,
        string offeringId,
        [DurableClient] DurableTaskClient client)
    {
        ArgumentNullException.ThrowIfNull(request);
        var body = await request.ReadJsonBodyAsync<AmendmentRequest>();
        return await JointOfferingApi.AmendAsync(offeringId, body, request.HttpContext.User, Commands(client), request.HttpContext.RequestAborted);
    }

    /// <summary><c>POST /api/offerings/{offeringId}/retire</c>.</summary>
    [Function(nameof(RetireOffering))]
    [Authorize(Policy = Roles.Partner)]
    public async Task<IResult> RetireOffering(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/offerings/{offeringId}/retire")] HttpRequest request,
        string offeringId,
        [DurableClient] DurableTaskClient client)
    {
        ArgumentNullException.ThrowIfNull(request);
        var body = await request.ReadJsonBodyAsync<ReasonRequest>();
        return await JointOfferingApi.RetireAsync(offeringId, body, request.HttpContext.User, Commands(client), request.HttpContext.RequestAborted);
    }

    /// <summary><c>GET /api/offerings/{offeringId}/audit</c>.</summary>
    [Function(nameof(GetOfferingAudit))]
    [Authorize(Policy = Roles.Partner)]
    public async Task<IResult> GetOfferingAudit(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/offerings/{offeringId}/audit")] HttpRequest request,
        string offeringId,
        [DurableClient] DurableTaskClient client)
    {
        ArgumentNullException.ThrowIfNull(request);
        return await JointOfferingApi.AuditAsync(offeringId, request.HttpContext.User, Commands(client), store, request.HttpContext.RequestAborted);
    }

    /// <summary><c>GET /api/offerings/{offeringId}/artifacts/{name}</c>.</summary>
    [Function(nameof(GetOfferingArtifact))]
    [Authorize(Policy = Roles.Partner)]
    public async Task<IResult> GetOfferingArtifact(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/offerings/{offeringId}/artifacts/{name}")] HttpRequest request,
        string offeringId,
        string name,
        [DurableClient] DurableTaskClient client)
    {
        ArgumentNullException.ThrowIfNull(request);
        return await JointOfferingApi.ArtifactAsync(offeringId, name, request.HttpContext.User, Commands(client), artifacts, request.HttpContext.RequestAborted);
    }

    /// <summary><c>GET /api/approvals/pending</c>.</summary>
    [Function(nameof(ListPendingApprovals))]
    [Authorize(Policy = Roles.Approver)]
    public async Task<IResult> ListPendingApprovals(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/approvals/pending")] HttpRequest request,
        [DurableClient] DurableTaskClient client)
    {
        ArgumentNullException.ThrowIfNull(request);
        return await JointOfferingApi.PendingAsync(request.HttpContext.User, client, request.HttpContext.RequestAborted);
    }

    /// <summary><c>GET /api/approvals/decided</c>.</summary>
    [Function(nameof(ListDecidedApprovals))]
    [Authorize(Policy = Roles.Approver)]
    public async Task<IResult> ListDecidedApprovals(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/approvals/decided")] HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return await JointOfferingApi.DecidedAsync(request.HttpContext.User, store, request.Query("continuationToken"), request.HttpContext.RequestAborted);
    }

    /// <summary>The commands over this invocation's client: a <c>[DurableClient]</c> exists only inside an invocation.</summary>
    private OfferingCommands Commands(DurableTaskClient client) => new(client, partners, store, time);
}
