using EcosystemFlows.Api.Partners;
using EcosystemFlows.Domain.Partners;
using EcosystemFlows.Domain.Ports;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace EcosystemFlows.Functions.Http;

/// <summary>The partners API as HTTP functions over the handlers the local host maps (<see cref="PartnersApi"/>).</summary>
public sealed class PartnerFunctions(IPartnerDirectory directory)
{
    /// <summary><c>POST /api/partners</c>.</summary>
    [Function(nameof(RegisterPartner))]
    [Authorize(Policy = PartnersApi.ReadPolicy)]
    public async Task<IResult> RegisterPartner(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/partners")] HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var partner = await request.ReadJsonBodyAsync<Partner>();
        return await PartnersApi.RegisterAsync(partner, request.HttpContext.User, directory, request.HttpContext.RequestAborted);
    }

    /// <summary><c>PUT /api/partners/{partnerId}</c>.</summary>
    [Function(nameof(UpdatePartner))]
    [Authorize(Policy = PartnersApi.ReadPolicy)]
    public async Task<IResult> UpdatePartner(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "api/partners/{partnerId}")] HttpRequest request,
        string partnerId)
    {
        ArgumentNullException.ThrowIfNull(request);
        var partner = await request.ReadJsonBodyAsync<Partner>();
        return await PartnersApi.UpdateAsync(partnerId, partner, request.HttpContext.User, directory, request.HttpContext.RequestAborted);
    }

    /// <summary><c>GET /api/partners/{partnerId}</c>.</summary>
    [Function(nameof(GetPartner))]
    [Authorize(Policy = PartnersApi.ReadPolicy)]
    public async Task<IResult> GetPartner(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/partners/{partnerId}")] HttpRequest request,
        string partnerId)
    {
        ArgumentNullException.ThrowIfNull(request);
        return await PartnersApi.GetAsync(partnerId, directory, request.HttpContext.RequestAborted);
    }

    /// <summary><c>GET /api/partners</c>.</summary>
    [Function(nameof(ListPartners))]
    [Authorize(Policy = PartnersApi.ReadPolicy)]
    public async Task<IResult> ListPartners(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/partners")] HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return await PartnersApi.ListAsync(directory, request.Query("continuationToken"), request.HttpContext.RequestAborted);
    }
}
