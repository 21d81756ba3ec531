using System.Security.Claims;
using EcosystemFlows.Domain.Offerings;
using EcosystemFlows.Domain.Ports;
using EcosystemFlows.Domain.Validation;
using EcosystemFlows.Workflows.JointOffering;
using EcosystemFlows.Workflows.Security;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.DurableTask.Client;

namespace EcosystemFlows.Api.Offerings;

/// <summary>Body of <c>POST /api/offerings</c>.</summary>
public sealed record StartOfferingRequest(OfferingTerms? Terms, int? SignOffWindowDays);

/// <summary>Body of <c>POST /api/offerings/{id}/signoffs/{gateId}</c>: the decision and the terms it is for.</summary>
public sealed record SignOffRequest(bool? Approve, string? Comment, string? TermsHash);

/// <summary>Body of <c>POST …/cancel</c> and <c>POST …/retire</c>.</summary>
public sealed record ReasonRequest(string? Reason);

/// <summary>Body of <c>POST …/amendments</c>.</summary>
public sealed record AmendmentRequest(OfferingTerms? Terms);

/// <summary>Answer of a start: where to follow the offering.</summary>
public sealed record OfferingAccepted(string OfferingId, Uri StatusUri);

/// <summary>
/// A gate waiting for the caller, with the terms it binds (<paramref name="Terms"/>, whose hash is <paramref name="TermsHash"/>):
/// an approver signs what they can read, member or not. For an amendment, <paramref name="TermsInForce"/> are the terms it would replace.
/// </summary>
public sealed record PendingApproval(
    string OfferingId,
    string GateId,
    GateKind Kind,
    string TermsHash,
    DateTime? Deadline,
    Uri SignOffUri,
    OfferingTerms Terms,
    OfferingTerms? TermsInForce,
    bool Escalated);

/// <summary>A decision the caller made on a gate, as the offering's audit trail records it.</summary>
public sealed record DecidedApproval(string OfferingId, string? OfferingName, string GateId, bool Approved, string? Comment, DateTime At);

/// <summary>
/// The joint-offering HTTP API: thin over <see cref="OfferingCommands"/>, which the Service Bus commands
/// share, plus the reads (offering, list, audit, artefacts, the caller's pending approvals).
/// </summary>
public static class JointOfferingApi
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    public static IEndpointRouteBuilder MapJointOfferingApi(this IEndpointRouteBuilder endpoints)
    {
        // The pipeline's problems (401, 403, 429, 503; 400, 413, 415 with a body) come from WithPipelineProblems; each
        // endpoint declares its own beyond its typed results.
        var offerings = endpoints.MapGroup("/api/offerings").WithTags("Offerings").WithPipelineProblems();
        offerings.MapPost("/", StartAsync).RequireAuthorization(Roles.Partner)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        offerings.MapGet("/", ListAsync).RequireAuthorization(Roles.Partner);
        offerings.MapGet("/{offeringId}", GetAsync).RequireAuthorization(Roles.Partner)
            .ProducesProblem(StatusCodes.Status404NotFound);
        offerings.MapPost("/{offeringId}/signoffs/{gateId}", SignOffAsync).RequireAuthorization(Roles.Approver)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        offerings.MapPost("/{offeringId}/cancel", CancelAsync).RequireAuthorization(Roles.Partner)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        offerings.MapPost("/{offeringId}/amendments", AmendAsync).RequireAuthorization(Roles.Partner)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        offerings.MapPost("/{offeringId}/retire", RetireAsync).RequireAuthorization(Roles.Partner)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        offerings.MapGet("/{offeringId}/audit", AuditAsync).RequireAuthorization(Roles.Partner)
            .ProducesProblem(StatusCodes.Status404NotFound);
        offerings.MapGet("/{offeringId}/artifacts/{name}", ArtifactAsync).RequireAuthorization(Roles.Partner)
            .Produces(StatusCodes.Status200OK, contentType: "application/json", additionalContentTypes: ["text/markdown"])
            .ProducesProblem(StatusCodes.Status404NotFound);
        var approvals = endpoints.MapGroup("/api/approvals").WithTags("Approvals").WithPipelineProblems();
        approvals.MapGet("/pending", PendingAsync).RequireAuthorization(Roles.Approver);
        approvals.MapGet("/decided", DecidedAsync).RequireAuthorization(Roles.Approver);
        return endpoints;
    }

    internal static async Task<Results<Accepted<OfferingAccepted>, ValidationProblem, ProblemHttpResult>> StartAsync(
        [FromBody] StartOfferingRequest? request,
        [FromHeader(Name = IdempotencyKeyHeader)] string? idempotencyKey,
        ClaimsPrincipal user,
        OfferingCommands commands,
        CancellationToken cancellationToken)
    {
        var result = await commands.StartAsync(Actor.From(user), idempotencyKey, request?.Terms, request?.SignOffWindowDays, cancellationToken);
        if (!result.Accepted)
        {
            return result.Errors is { } errors ? DomainProblems.Validation(result.Title!, errors) : Problem(result);
        }

        var status = new Uri($"/api/offerings/{result.OfferingId}", UriKind.Relative);
        return TypedResults.Accepted(status, new OfferingAccepted(result.OfferingId!, status));
    }

    internal static async Task<Results<Accepted, ValidationProblem, ProblemHttpResult>> SignOffAsync(
        string offeringId, string gateId, [FromBody] SignOffRequest? request, ClaimsPrincipal user, OfferingCommands commands, CancellationToken cancellationToken)
    {
        if (request is null)
        {
            return TypedResults.Problem("Send { approve, comment, termsHash }.", statusCode: StatusCodes.Status400BadRequest, title: "Body required");
        }

        // A missing decision must not default to a rejection.
        if (request.Approve is not { } approve)
        {
            return DomainProblems.Validation("The decision is not valid", [new DomainError("approve", "required", "is required (true or false)")]);
        }

        return Answer(await commands.SignOffAsync(Actor.From(user), offeringId, gateId, approve, request.Comment, request.TermsHash, cancellationToken));
    }

    internal static async Task<Results<Accepted, ValidationProblem, ProblemHttpResult>> CancelAsync(
        string offeringId, [FromBody] ReasonRequest? request, ClaimsPrincipal user, OfferingCommands commands, CancellationToken cancellationToken) =>
        Answer(await commands.CancelAsync(Actor.From(user), offeringId, request?.Reason, cancellationToken));

    internal static async Task<Results<Accepted, ValidationProblem, ProblemHttpResult>> RetireAsync(
        string offeringId, [FromBody] ReasonRequest? request, ClaimsPrincipal user, OfferingCommands commands, CancellationToken cancellationToken) =>
        Answer(await commands.RetireAsync(Actor.From(user), offeringId, request?.Reason, cancellationToken));

    internal static async Task<Results<Accepted, ValidationProblem, ProblemHttpResult>> AmendAsync(
        string offeringId, [FromBody] AmendmentRequest? request, ClaimsPrincipal user, OfferingCommands commands, CancellationToken cancellationToken)
    {
        return Answer(await commands.AmendAsync(Actor.From(user), offeringId, request?.Terms, cancellationToken));
    }

    internal static async Task<Results<Ok<Page<OfferingSnapshot>>, ValidationProblem>> ListAsync(
        ClaimsPrincipal user, IOfferingStore store, string? status, string? continuationToken, CancellationToken cancellationToken)
    {
        var errors = new DomainErrors();
        errors.Require(status is null || Enum.GetNames<OfferingStage>().Contains(status, StringComparer.Ordinal),
            "status", "invalid-enum", $"must be one of {string.Join(", ", Enum.GetNames<OfferingStage>())}");
        errors.Require(ContinuationTokens.IsWellFormed(continuationToken), "continuationToken", "invalid", ContinuationTokens.Rule);
        if (!errors.IsValid)
        {
            return DomainProblems.Validation(DomainProblems.InvalidQueryTitle, errors.Items);
        }

        try
        {
            return TypedResults.Ok(await store.ListForPartnerAsync(user.Organisation()!, status, continuationToken, pageSize: 50, cancellationToken));
        }
        catch (InvalidContinuationTokenException)
        {
            return DomainProblems.InvalidContinuationToken(wellFormed: true);
        }
    }

    internal static async Task<Results<Ok<OfferingView>, ProblemHttpResult>> GetAsync(
        string offeringId, ClaimsPrincipal user, OfferingCommands commands, CancellationToken cancellationToken) =>
        await commands.LoadForMemberAsync(Actor.From(user), offeringId, cancellationToken) is { } offering
            ? TypedResults.Ok(offering)
            : NotFound(offeringId);

    internal static async Task<Results<Ok<IReadOnlyList<AuditEntry>>, ProblemHttpResult>> AuditAsync(
        string offeringId, ClaimsPrincipal user, OfferingCommands commands, IOfferingStore store, CancellationToken cancellationToken) =>
        await commands.LoadForMemberAsync(Actor.From(user), offeringId, cancellationToken) is null
            ? NotFound(offeringId)
            : TypedResults.Ok(await store.GetAuditAsync(offeringId, cancellationToken));

    internal static async Task<Results<FileContentHttpResult, ProblemHttpResult>> ArtifactAsync(
        string offeringId, string name, ClaimsPrincipal user, OfferingCommands commands, IArtifactStore artifacts, CancellationToken cancellationToken)
    {
        if (await commands.LoadForMemberAsync(Actor.From(user), offeringId, cancellationToken) is null)
        {
            return NotFound(offeringId);
        }

        if (!Identifiers.IsValid(name) || await artifacts.ReadAsync(offeringId, name, cancellationToken) is not { } artifact)
        {
            // The caller is a member: the offering exists for them, the artefact does not.
            return TypedResults.Problem($"Offering '{offeringId}' has no artefact '{name}'.", statusCode: StatusCodes.Status404NotFound, title: "Not found");
        }

        return TypedResults.File(artifact.Content.ToArray(), artifact.ContentType, name);
    }

    internal static async Task<Ok<List<PendingApproval>>> PendingAsync(ClaimsPrincipal user, DurableTaskClient client, CancellationToken cancellationToken)
    {
        var userId = user.UserId();
        var pending = new List<PendingApproval>();
        var query = new OrchestrationQuery
        {
            Statuses = [OrchestrationRuntimeStatus.Running],
            FetchInputsAndOutputs = true,
        };
        string[] rounds = [nameof(JointOfferingOrchestrator), nameof(AmendmentRoundOrchestrator)];
        await foreach (var instance in client.GetAllInstancesAsync(query).WithCancellation(cancellationToken))
        {
            if (!rounds.Contains(instance.Name, StringComparer.Ordinal) || instance.ReadCustomStatusAs<OfferingStatus>() is not { Stage: OfferingStage.AwaitingSignOffs } status)
            {
                continue;
            }

            // An amendment's round signs its proposed terms; the offering's own first round, the terms it started with.
            (string OfferingId, OfferingTerms Terms, OfferingTerms? InForce) signed = instance.Name == nameof(AmendmentRoundOrchestrator)
                ? instance.ReadInputAs<AmendmentRoundInput>() is { } round ? (round.OfferingId, round.Proposed, round.InForce) : throw MissingInput(instance)
                : (instance.InstanceId, (instance.ReadInputAs<JointOfferingInput>() ?? throw MissingInput(instance)).Terms, null);
            var (offeringId, terms, inForce) = signed;
            pending.AddRange(status.Gates
                .Where(g => g.State == "Pending" && g.Approvers.Contains(userId, StringComparer.Ordinal))
                .Select(g => new PendingApproval(
                    offeringId, g.GateId, g.Kind, status.TermsHash, status.Deadline, new Uri($"/api/offerings/{offeringId}/signoffs/{g.GateId}", UriKind.Relative),
                    terms, inForce, status.Escalated)));
        }

        return TypedResults.Ok(pending);
    }

    internal static async Task<Results<Ok<Page<DecidedApproval>>, ValidationProblem>> DecidedAsync(
        ClaimsPrincipal user, IOfferingStore store, string? continuationToken, CancellationToken cancellationToken)
    {
        if (!ContinuationTokens.IsWellFormed(continuationToken))
        {
            return DomainProblems.InvalidContinuationToken(wellFormed: false);
        }

        Page<OfferingAuditEntry> page;
        try
        {
            page = await store.ListAuditByActorAsync(user.UserId(), SignOffRecord.AuditAction, continuationToken, pageSize: 50, cancellationToken);
        }
        catch (InvalidContinuationTokenException)
        {
            return DomainProblems.InvalidContinuationToken(wellFormed: true);
        }

        // The caller approved or rejected these offerings' terms: their names are theirs to see, member or not.
        var names = (await Task.WhenAll(page.Items.Select(e => e.OfferingId).Distinct(StringComparer.Ordinal)
                .Select(async offeringId => (offeringId, (await store.GetAsync(offeringId, cancellationToken))?.Terms.Name))))
            .ToDictionary(n => n.offeringId, n => n.Name, StringComparer.Ordinal);

        var decided = page.Items
            .Select(e => (e, Record: SignOffRecord.Parse(e.Entry.Detail)))
            .Where(x => x.Record is not null)
            .Select(x => new DecidedApproval(x.e.OfferingId, names[x.e.OfferingId], x.Record!.GateId, x.Record.Approved, x.Record.Comment, x.e.Entry.At))
            .ToList();
        return TypedResults.Ok(new Page<DecidedApproval>(decided, page.ContinuationToken));
    }

    private static InvalidOperationException MissingInput(OrchestrationMetadata instance) =>
        new($"Instance '{instance.InstanceId}' ({instance.Name}) has no input: it was not started by this app.");

    private static Results<Accepted, ValidationProblem, ProblemHttpResult> Answer(CommandResult result) =>
        result.Accepted ? Accepted(result.OfferingId!)
            : result.Errors is { } errors ? DomainProblems.Validation(result.Title!, errors)
            : Problem(result);

    private static Accepted Accepted(string offeringId) => TypedResults.Accepted(new Uri($"/api/offerings/{offeringId}", UriKind.Relative));

    private static ProblemHttpResult Problem(CommandResult result) =>
        TypedResults.Problem(result.Detail, statusCode: result.Status, title: result.Title, type: result.Type);

    private static ProblemHttpResult NotFound(string offeringId) =>
        TypedResults.Problem(OfferingCommands.OfferingNotFoundDetail(offeringId), statusCode: StatusCodes.Status404NotFound, title: "Not found");
}
