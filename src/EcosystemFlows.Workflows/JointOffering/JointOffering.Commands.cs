using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using EcosystemFlows.Domain.Offerings;
using EcosystemFlows.Domain.Ports;
using EcosystemFlows.Domain.Validation;
using EcosystemFlows.Workflows.Security;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace EcosystemFlows.Workflows.JointOffering;

/// <summary>Who acts: from a bearer token (HTTP) or carried in a Service Bus command.</summary>
public sealed record Actor(string UserId, string? Organisation, IReadOnlyList<string> Roles)
{
    /// <summary>The actor of an authenticated HTTP request.</summary>
    public static Actor From(ClaimsPrincipal user) =>
        new(user.UserId(), user.Organisation(), [.. user.FindAll(ClaimNames.Roles).Select(c => c.Value)]);

    public bool Has(string role) => Roles.Contains(role, StringComparer.Ordinal);
}

/// <summary>
/// What a command came to: 202 with the offering id, or a refusal with an HTTP status, a title and
/// either field errors or a detail. HTTP answers it as problem details; Service Bus dead-letters it.
/// </summary>
public sealed record CommandResult(int Status, string? OfferingId, string? Title = null, string? Detail = null, IReadOnlyList<DomainError>? Errors = null, string? Type = null)
{
    public bool Accepted => Status == (int)HttpStatusCode.Accepted;

    public static CommandResult Done(string offeringId) => new((int)HttpStatusCode.Accepted, offeringId);

    public static CommandResult Invalid(string title, IReadOnlyList<DomainError> errors) =>
        new((int)HttpStatusCode.BadRequest, null, title, string.Join("; ", errors.Select(e => $"{e.Field}: {e.Message}")), errors);

    public static CommandResult Refused(int status, string title, string detail, string? type = null) => new(status, null, title, detail, Type: type);
}

/// <summary>
/// The joint-offering commands, shared by the HTTP API and the <c>offering-commands</c> queue so both
/// enforce the same rules. Object-level rules: only members see an offering (others get 404, so ids do
/// not leak); only the initiating organisation cancels, amends or retires; an approver decides only a
/// gate assigned to them, for the current terms hash, once.
/// </summary>
public sealed class OfferingCommands(DurableTaskClient client, IPartnerDirectory partners, IOfferingStore store, TimeProvider time)
{
    private const int DefaultSignOffWindowDays = 14;

    /// <summary>Longest comment or reason accepted (they are stored in the history and the audit trail).</summary>
    public const int MaxTextLength = 2000;

    /// <summary>Longest terms hash accepted (a real one is far shorter).</summary>
    public const int MaxTermsHashLength = 128;

    /// <summary>Problem type of a reused idempotency key: the IETF Idempotency-Key draft's error scenarios.</summary>
    public const string IdempotencyKeyReusedType = "https://datatracker.ietf.org/doc/html/draft-ietf-httpapi-idempotency-key-header#section-2.7";

    /// <summary>The offering id for an organisation's idempotency key: a repeated start finds the same instance.</summary>
    public static string OfferingIdFor(string organisation, string idempotencyKey) =>
        $"off-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{organisation}\n{idempotencyKey}")))[..20]}";

    public async Task<CommandResult> StartAsync(Actor actor, string? idempotencyKey, OfferingTerms? terms, int? signOffWindowDays, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (!actor.Has(Roles.Partner) || actor.Organisation is not { Length: > 0 } organisation)
        {
            return CommandResult.Refused((int)HttpStatusCode.Forbidden, "Partner only", "Starting an offering needs the partner role and an organisation.");
        }

        if (string.IsNullOrWhiteSpace(idempotencyKey) || idempotencyKey.Length > 128)
        {
            return CommandResult.Refused((int)HttpStatusCode.BadRequest, "Idempotency key required", "Send an idempotency key (1-128 characters) so a retried start cannot create a second offering.");
        }

        if (terms is null)
        {
            return CommandResult.Invalid("The offering's terms are not valid", [new DomainError("terms", "required", "is required")]);
        }

        var window = signOffWindowDays ?? DefaultSignOffWindowDays;
        if (window is < 1 or > 180)
        {
            return CommandResult.Invalid("The offering's terms are not valid", [new DomainError("signOffWindowDays", "range", "must be 1-180 days")]);
        }

        var offeringId = OfferingIdFor(organisation, idempotencyKey);
        // The key's first request is the instance's input, kept with it: a retry must carry the same body.
        if (await client.GetInstanceAsync(offeringId, getInputsAndOutputs: true, cancellationToken) is { } existing)
        {
            if (!IsSameStart(existing, terms, window))
            {
                return KeyReused(idempotencyKey);
            }

            // A Pending instance may have lost its start message: starting it again re-sends it (the client does).
            if (existing.RuntimeStatus != OrchestrationRuntimeStatus.Pending)
            {
                return CommandResult.Done(offeringId);
            }
        }

        var errors = (await ValidateAsync(terms, cancellationToken)).ToList();
        if (errors.Count == 0 && terms.Lead.PartnerId != organisation)
        {
            errors.Add(new DomainError("members", "lead", $"the initiating organisation '{organisation}' must be the Lead member"));
        }

        if (errors.Count > 0)
        {
            return CommandResult.Invalid("The offering's terms are not valid", errors);
        }

        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(
                nameof(JointOfferingOrchestrator),
                new JointOfferingInput(offeringId, organisation, actor.UserId, terms, TimeSpan.FromDays(window)),
                new StartOrchestrationOptions { InstanceId = offeringId },
                cancellationToken);
        }
        catch (global::DurableTask.Core.Exceptions.OrchestrationAlreadyExistsException)
        {
            // A concurrent request with the same key won the race: same offering, same answer, if it had this body.
            if (await client.GetInstanceAsync(offeringId, getInputsAndOutputs: true, cancellationToken) is { } winner && !IsSameStart(winner, terms, window))
            {
                return KeyReused(idempotencyKey);
            }
        }

        return CommandResult.Done(offeringId);
    }

    public async Task<CommandResult> SignOffAsync(Actor actor, string offeringId, string gateId, bool approve, string? comment, string? termsHash, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (!actor.Has(Roles.Approver))
        {
            return CommandResult.Refused((int)HttpStatusCode.Forbidden, "Approver only", "Signing off needs the approver role.");
        }

        var invalid = new DomainErrors();
        invalid.RequireText(comment, "comment", 0, MaxTextLength);
        invalid.RequireText(termsHash, "termsHash", 1, MaxTermsHashLength);
        if (!invalid.IsValid)
        {
            return CommandResult.Invalid("The decision is not valid", invalid.Items);
        }

        var status = Identifiers.IsValid(offeringId)
            ? (await client.GetInstanceAsync(offeringId, getInputsAndOutputs: true, cancellationToken))?.ReadCustomStatusAs<OfferingStatus>()
            : null;
        var round = status is null ? null
            : status.SignOffInstanceId == offeringId ? status
            : (await client.GetInstanceAsync(status.SignOffInstanceId, getInputsAndOutputs: true, cancellationToken))?.ReadCustomStatusAs<OfferingStatus>();
        var gate = Identifiers.IsValid(gateId) ? round?.Gates.FirstOrDefault(g => g.GateId == gateId) : null;
        if (status is null || round is null || !round.Gates.Any(g => g.Approvers.Contains(actor.UserId, StringComparer.Ordinal)))
        {
            // No gate of the offering is assigned to this approver: indistinguishable from absent, so offerings do not leak.
            return NotFound(offeringId);
        }

        if (gate is null || !gate.Approvers.Contains(actor.UserId, StringComparer.Ordinal))
        {
            // An approver of another gate knows the offering, not this gate: say the gate is what was not found.
            return CommandResult.Refused((int)HttpStatusCode.NotFound, "Not found", $"Offering '{offeringId}' has no gate '{gateId}' assigned to you.");
        }

        if (termsHash != round.TermsHash)
        {
            return CommandResult.Refused((int)HttpStatusCode.Conflict, "Terms changed", $"The decision is for terms '{termsHash}', the gate is for '{round.TermsHash}'. Review the current terms and decide again.");
        }

        if (gate.DecidedBy == actor.UserId && gate.State == (approve ? "Approved" : "Rejected"))
        {
            // This decision is recorded already: a retried request or a redelivered command gets the same answer.
            return CommandResult.Done(offeringId);
        }

        if (round.Stage != OfferingStage.AwaitingSignOffs || gate.State != "Pending" ||
            !await store.TryClaimDecisionAsync(offeringId, status.SignOffInstanceId, gateId, actor.UserId, approve, cancellationToken))
        {
            return CommandResult.Refused((int)HttpStatusCode.Conflict, "Already decided", $"Gate '{gateId}' is no longer awaiting a decision.");
        }

        try
        {
            // A repeated delivery (after a crash between claim and raise, or a redelivered command) raises the same
            // decision again: the round takes a decision it already applied as a no-op (SignOffRound.ApplyAsync).
            await client.RaiseEventAsync(
                status.SignOffInstanceId,
                OfferingEvents.SignOff,
                new SignOffDecision(gateId, actor.UserId, approve, comment, termsHash),
                cancellationToken);
        }
        catch
        {
            // The decision did not reach the workflow: free the gate so the approver can retry.
            await store.ReleaseDecisionAsync(offeringId, status.SignOffInstanceId, gateId, CancellationToken.None);
            throw;
        }

        return CommandResult.Done(offeringId);
    }

    public async Task<CommandResult> CancelAsync(Actor actor, string offeringId, string? reason, CancellationToken cancellationToken) =>
        InvalidReason(reason) ?? await RaiseForInitiatorAsync(actor, offeringId, o => IsBeforeLaunch(o.Stage), OfferingEvents.Cancel, org => new CancelRequest(org, actor.UserId, reason), cancellationToken);

    public async Task<CommandResult> RetireAsync(Actor actor, string offeringId, string? reason, CancellationToken cancellationToken) =>
        InvalidReason(reason) ?? await RaiseForInitiatorAsync(actor, offeringId, o => o.Stage == OfferingStage.Launched, OfferingEvents.Retire, org => new RetireRequest(org, actor.UserId, reason), cancellationToken);

    public async Task<CommandResult> AmendAsync(Actor actor, string offeringId, OfferingTerms? terms, CancellationToken cancellationToken)
    {
        if (terms is null)
        {
            return CommandResult.Invalid("The amended terms are not valid", [new DomainError("terms", "required", "is required")]);
        }

        var errors = await ValidateAsync(terms, cancellationToken);
        return errors.Count > 0
            ? CommandResult.Invalid("The amended terms are not valid", errors)
            // Terms already in force: a retried request whose first attempt went through (its answer lost in a
            // crash) must not start a second amendment round nobody will sign.
            : await RaiseForInitiatorAsync(actor, offeringId, o => o.Stage == OfferingStage.Launched && o.TermsHash != terms.TermsHash, OfferingEvents.Amend, org => new AmendRequest(org, actor.UserId, terms), cancellationToken);
    }

    /// <summary>The offering if the actor's organisation is a member of it; null for missing and foreign alike.</summary>
    public async Task<OfferingView?> LoadForMemberAsync(Actor actor, string offeringId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (!Identifiers.IsValid(offeringId) ||
            await client.GetInstanceAsync(offeringId, getInputsAndOutputs: true, cancellationToken) is not { } instance ||
            instance.Name != nameof(JointOfferingOrchestrator) ||
            instance.ReadInputAs<JointOfferingInput>() is not { } input)
        {
            return null;
        }

        var terms = input.Live?.Terms ?? input.Terms;
        if (!terms.Members.Any(m => m.PartnerId == actor.Organisation))
        {
            return null;
        }

        var status = instance.ReadCustomStatusAs<OfferingStatus>()
            ?? new OfferingStatus(OfferingStage.Validating, terms.TermsHash, [], null, false, null, offeringId, null);
        var result = instance.RuntimeStatus == OrchestrationRuntimeStatus.Completed ? instance.ReadOutputAs<JointOfferingResult>() : null;
        var self = $"/api/offerings/{offeringId}";
        return new OfferingView(
            offeringId,
            input.InitiatingPartnerId,
            result?.Stage ?? status.Stage,
            status.TermsHash,
            terms,
            // Live (launched, amending, retired): who signed the terms in force; the live instance's status has no gates.
            input.Live is { Gates: { } inForce } ? inForce : status.Gates,
            status.Deadline,
            status.Escalated,
            result?.SkuCode ?? status.SkuCode ?? input.Live?.SkuCode,
            result?.Reason ?? status.Reason,
            new Dictionary<string, Uri>
            {
                ["self"] = new(self, UriKind.Relative),
                ["audit"] = new($"{self}/audit", UriKind.Relative),
                ["offeringSheet"] = new($"{self}/artifacts/{WriteOfferingSheetActivity.MarkdownName}", UriKind.Relative),
            });
    }

    /// <summary>
    /// Whether a start carries the body of the key's first request. Compared in the canonical JSON of the workflow
    /// contract (property order, spacing and unknown members of the request do not count); the first body is the
    /// instance's input, so nothing else needs storing next to the key. An instance without a readable input (none
    /// stored yet) cannot contradict the request.
    /// </summary>
    private static bool IsSameStart(OrchestrationMetadata instance, OfferingTerms terms, int signOffWindowDays) =>
        instance.ReadInputAs<JointOfferingInput>() is not { } first ||
        (first.SignOffWindow == TimeSpan.FromDays(signOffWindowDays) &&
         JsonSerializer.Serialize(first.Terms, WorkflowJson.Options) == JsonSerializer.Serialize(terms, WorkflowJson.Options));

    private static CommandResult KeyReused(string idempotencyKey) =>
        CommandResult.Refused(
            (int)HttpStatusCode.UnprocessableEntity,
            "Idempotency key already used",
            $"The idempotency key '{idempotencyKey}' was used for a different request body. Retry with the original body to get its answer, or send a new key for a new offering.",
            IdempotencyKeyReusedType);

    private async Task<CommandResult> RaiseForInitiatorAsync(
        Actor actor, string offeringId, Func<OfferingView, bool> allowed, string eventName, Func<string, object> payload, CancellationToken cancellationToken)
    {
        if (!actor.Has(Roles.Partner))
        {
            return CommandResult.Refused((int)HttpStatusCode.Forbidden, "Partner only", "This needs the partner role.");
        }

        if (await LoadForMemberAsync(actor, offeringId, cancellationToken) is not { } offering)
        {
            return NotFound(offeringId);
        }

        if (offering.InitiatingPartnerId != actor.Organisation)
        {
            return CommandResult.Refused((int)HttpStatusCode.Forbidden, "Initiator only", $"Only the initiating organisation '{offering.InitiatingPartnerId}' may do this.");
        }

        if (!allowed(offering))
        {
            return CommandResult.Refused((int)HttpStatusCode.Conflict, "Not in this state", $"The offering is {offering.Stage} with terms '{offering.TermsHash}'.");
        }

        await client.RaiseEventAsync(offeringId, eventName, payload(actor.Organisation!), cancellationToken);
        return CommandResult.Done(offeringId);
    }

    private static CommandResult? InvalidReason(string? reason)
    {
        var errors = new DomainErrors();
        return errors.RequireText(reason, "reason", 0, MaxTextLength) ? null : CommandResult.Invalid("The request is not valid", errors.Items);
    }

    private async Task<IReadOnlyList<DomainError>> ValidateAsync(OfferingTerms terms, CancellationToken cancellationToken)
    {
        // Only well-formed ids reach the directory (a Cosmos read with '/' or '#' in the id would fail, not miss).
        var members = await partners.GetManyAsync([.. (terms.Members ?? []).Select(m => m?.PartnerId).OfType<string>().Where(Identifiers.IsValid).Distinct(StringComparer.Ordinal)], cancellationToken);
        return OfferingRules.Validate(terms, members, DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime));
    }

    private static bool IsBeforeLaunch(OfferingStage stage) =>
        stage is OfferingStage.Validating or OfferingStage.VerifyingPartners or OfferingStage.CheckingConflicts
            or OfferingStage.AwaitingSignOffs or OfferingStage.CreatingSku or OfferingStage.AssigningSupport;

    /// <summary>The detail of a 404 for an offering that is missing or not the caller's.</summary>
    public static string OfferingNotFoundDetail(string offeringId) => $"No offering '{offeringId}' visible to you.";

    private static CommandResult NotFound(string offeringId) =>
        CommandResult.Refused((int)HttpStatusCode.NotFound, "Not found", OfferingNotFoundDetail(offeringId));
}
