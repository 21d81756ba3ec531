using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using EcosystemFlows.Domain.Offerings;
using Microsoft.DurableTask;

namespace EcosystemFlows.Workflows.JointOffering;

/// <summary>
/// A joint offering from submission to retirement: validate → verify every member (fan-out) → conflict
/// check → governance sign-offs (deadline, reminders at 50 % and 80 %, one escalation to the executive
/// sponsor with an extension, then expiry; any rejection ends it) → SKU → support routing → launch. Before
/// launch the initiating partner may cancel (created SKU and routing are compensated). After launch the
/// instance stays live (ContinueAsNew keeps its history short) for amendments, signed off in a
/// sub-orchestration while the launched terms stay in force, and for retirement.
/// </summary>
public sealed class JointOfferingOrchestrator : TaskOrchestrator<JointOfferingInput, JointOfferingResult>
{
    /// <inheritdoc />
    public override async Task<JointOfferingResult> RunAsync(TaskOrchestrationContext context, JointOfferingInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        return input.Live is { } live
            ? await RunLiveAsync(context, input, live)
            : await RunToLaunchAsync(context, input);
    }

    private static async Task<JointOfferingResult> RunToLaunchAsync(TaskOrchestrationContext context, JointOfferingInput input)
    {
        var journal = new OfferingJournal(context, input.OfferingId, input.InitiatingPartnerId, input.Terms, sequence: 0);
        var terms = input.Terms;
        journal.Show(OfferingStage.Validating);
        var validation = await context.CallActivityAsync<ValidationOutcome>(nameof(ValidateOfferingActivity), new ValidateOfferingInput(input.OfferingId, terms), DependencyRetry.Options);
        await journal.RecordAsync("submitted", "offering.submitted", input.InitiatedBy, $"{terms.Name} submitted with terms {terms.TermsHash}");
        if (validation.Errors.Count > 0)
        {
            var reason = string.Join("; ", validation.Errors.Select(e => $"{e.Field}: {e.Message}"));
            return await journal.EndAsync(OfferingStage.Invalid, "offering.rejected", "system", reason);
        }

        journal.Show(OfferingStage.VerifyingPartners);
        var verifications = await Task.WhenAll(terms.Members.Select(m =>
            context.CallActivityAsync<MemberVerification>(nameof(VerifyPartnerActivity), new VerifyPartnerInput(m.PartnerId, terms), DependencyRetry.Options)));
        foreach (var verification in verifications)
        {
            var failed = verification.Findings.Count > 0;
            await journal.RecordAsync(
                $"verified-{verification.PartnerId}",
                failed ? "partner.verification-failed" : "partner.verified",
                "system",
                failed ? string.Join("; ", verification.Findings) : $"{verification.PartnerId} meets the baseline");
        }

        if (verifications.Any(v => v.Findings.Count > 0))
        {
            var reason = string.Join("; ", verifications.SelectMany(v => v.Findings));
            return await journal.EndAsync(OfferingStage.VerificationFailed, "offering.rejected", "system", reason);
        }

        journal.Show(OfferingStage.CheckingConflicts);
        var conflicts = await context.CallActivityAsync<IReadOnlyList<string>>(nameof(CheckConflictsActivity), new CheckConflictsInput(input.OfferingId, terms), DependencyRetry.Options);
        var gates = validation.Gates;
        if (conflicts.Count > 0 && validation.ConflictReviewGate is { } review)
        {
            gates = [.. gates, review];
            await journal.RecordAsync("conflict", "conflict.detected", "system", $"overlaps with {string.Join(", ", conflicts)}: {review.GateId} gate added");
        }

        var round = await SignOffRound.RunAsync(context, journal, gates, validation.SponsorUserId, input.SignOffWindow, acceptCancel: true);
        switch (round.Stage)
        {
            case OfferingStage.Cancelled:
                return await journal.EndAsync(OfferingStage.Cancelled, "offering.cancelled", journal.LastActor, round.Reason);
            case OfferingStage.Rejected:
                return await journal.EndAsync(OfferingStage.Rejected, "offering.rejected", journal.LastActor, round.Reason);
            case OfferingStage.Expired:
                return await journal.EndAsync(OfferingStage.Expired, "offering.expired", "system", round.Reason);
        }

        await journal.RecordAsync("approved", "offering.approved", "system", $"all {gates.Count} gates signed terms {terms.TermsHash}");

        journal.Show(OfferingStage.CreatingSku);
        var sku = await context.CallActivityAsync<string>(nameof(CreateSkuActivity), new CreateSkuInput(input.OfferingId, terms.CatalogId, terms.Category), DependencyRetry.Options);
        journal.SkuCode = sku;
        await journal.RecordAsync("sku-created", "sku.created", "system", $"{sku} in catalog {terms.CatalogId}");
        if (CancelRequested(context) is { } afterSku)
        {
            return await CancelLaunchAsync(context, journal, afterSku, supportAssigned: false);
        }

        journal.Show(OfferingStage.AssigningSupport);
        await context.CallActivityAsync(nameof(AssignSupportActivity), new AssignSupportInput(input.OfferingId, terms.SupportPlan), DependencyRetry.Options);
        await journal.RecordAsync("support-assigned", "support.assigned", "system", $"L1 {terms.SupportPlan.L1Owner} → L2 {terms.SupportPlan.L2Owner} → L3 {terms.SupportPlan.L3Owner}");
        if (CancelRequested(context) is { } afterSupport)
        {
            return await CancelLaunchAsync(context, journal, afterSupport, supportAssigned: true);
        }

        journal.Show(OfferingStage.Launching);
        await context.CallActivityAsync(nameof(WriteOfferingSheetActivity), new WriteOfferingSheetInput(input.OfferingId, terms, sku, context.CurrentUtcDateTime), DependencyRetry.Options);
        journal.Show(OfferingStage.Launched);
        await journal.RecordAsync("launched", "offering.launched", "system", $"{terms.Name} launched as {sku}");

        context.ContinueAsNew(input with { Live = new LiveOffering(terms, sku, journal.Sequence, Amendments: 0, Gates: round.Gates) });
        return new JointOfferingResult(OfferingStage.Launched, sku, null);
    }

    private static async Task<JointOfferingResult> RunLiveAsync(TaskOrchestrationContext context, JointOfferingInput input, LiveOffering live)
    {
        var journal = new OfferingJournal(context, input.OfferingId, input.InitiatingPartnerId, live.Terms, live.Sequence) { SkuCode = live.SkuCode };
        var amendmentRound = AmendmentRoundOrchestrator.RoundName(live.Amendments + 1);
        journal.Show(OfferingStage.Launched);

        using var stop = new CancellationTokenSource();
        var amend = context.WaitForExternalEvent<AmendRequest>(OfferingEvents.Amend, stop.Token);
        var retire = context.WaitForExternalEvent<RetireRequest>(OfferingEvents.Retire, stop.Token);
        await Task.WhenAny(amend, retire);
        CancelWaits(stop);

        if (retire.IsCompletedSuccessfully)
        {
            var request = await retire;
            await context.CallActivityAsync(nameof(RetireSkuActivity), new RetireSkuInput(live.Terms.CatalogId, live.SkuCode), DependencyRetry.Options);
            await context.CallActivityAsync(nameof(EndSupportActivity), input.OfferingId, DependencyRetry.Options);
            return await journal.EndAsync(OfferingStage.Retired, "offering.retired", request.UserId, request.Reason ?? "retired");
        }

        var amendment = await amend;
        if (amendment.Terms.TermsHash == live.Terms.TermsHash)
        {
            // Terms already in force: a retried request whose first attempt went through passed the API's check before
            // that attempt was applied. A second round for the same terms would wait for sign-offs nobody sends.
            context.ContinueAsNew(input);
            return new JointOfferingResult(OfferingStage.Launched, live.SkuCode, null);
        }

        journal.Show(OfferingStage.Amending);
        var validation = await context.CallActivityAsync<ValidationOutcome>(nameof(ValidateOfferingActivity), new ValidateOfferingInput(input.OfferingId, amendment.Terms), DependencyRetry.Options);
        var accepted = validation.Errors.Count == 0 && amendment.Terms.CatalogId == live.Terms.CatalogId;
        var terms = live.Terms;
        var gates = live.Gates;
        if (!accepted)
        {
            var reason = validation.Errors.Count > 0
                ? string.Join("; ", validation.Errors.Select(e => $"{e.Field}: {e.Message}"))
                : "an amendment cannot move the offering to another catalog";
            journal.Show(OfferingStage.Launched);
            await journal.RecordAsync($"{amendmentRound}-rejected", "offering.amendment-rejected", amendment.UserId, reason);
        }
        else
        {
            var roundId = $"{input.OfferingId}~{amendmentRound}";
            journal.ShowAmendmentRound(roundId, amendment.Terms.TermsHash);
            var round = await context.CallSubOrchestratorAsync<AmendmentRoundResult>(
                nameof(AmendmentRoundOrchestrator),
                new AmendmentRoundInput(input.OfferingId, input.InitiatingPartnerId, live.Terms, amendment.Terms, validation.Gates, validation.SponsorUserId, input.SignOffWindow, journal.Sequence, live.SkuCode),
                new SubOrchestrationOptions(instanceId: roundId));
            journal.Continue(round.Sequence);
            if (round.Outcome.Stage == OfferingStage.Launched)
            {
                terms = amendment.Terms;
                gates = round.Outcome.Gates;
                journal.Terms = terms;
                await context.CallActivityAsync(nameof(WriteOfferingSheetActivity), new WriteOfferingSheetInput(input.OfferingId, terms, live.SkuCode, context.CurrentUtcDateTime), DependencyRetry.Options);
                journal.Show(OfferingStage.Launched);
                await journal.RecordAsync($"{amendmentRound}-amended", "offering.amended", amendment.UserId, $"terms {terms.TermsHash} in force");
            }
            else
            {
                journal.Show(OfferingStage.Launched);
                await journal.RecordAsync($"{amendmentRound}-rejected", "offering.amendment-rejected", "system", round.Outcome.Reason ?? round.Outcome.Stage.ToString());
            }
        }

        context.ContinueAsNew(input with { Live = live with { Terms = terms, Sequence = journal.Sequence, Amendments = live.Amendments + 1, Gates = gates } });
        return new JointOfferingResult(OfferingStage.Launched, live.SkuCode, null);
    }

    /// <summary>
    /// A cancel request already received (buffered), or null, without waiting: a buffered event completes the
    /// wait at once, and an unfinished wait is withdrawn. Unlike a zero-timeout wait, this adds no durable timer
    /// (no history event, no extra episode) to every check.
    /// </summary>
    private static CancelRequest? CancelRequested(TaskOrchestrationContext context)
    {
        using var stop = new CancellationTokenSource();
        var cancel = context.WaitForExternalEvent<CancelRequest>(OfferingEvents.Cancel, stop.Token);
        if (cancel.IsCompletedSuccessfully)
        {
            return cancel.Result;
        }

        CancelWaits(stop);
        return null;
    }

    private static async Task<JointOfferingResult> CancelLaunchAsync(TaskOrchestrationContext context, OfferingJournal journal, CancelRequest request, bool supportAssigned)
    {
        // Compensate in reverse order of the steps taken.
        if (supportAssigned)
        {
            await context.CallActivityAsync(nameof(EndSupportActivity), journal.OfferingId, DependencyRetry.Options);
        }

        await context.CallActivityAsync(nameof(RetireSkuActivity), new RetireSkuInput(journal.Terms.CatalogId, journal.SkuCode!), DependencyRetry.Options);
        return await journal.EndAsync(OfferingStage.Cancelled, "offering.cancelled", request.UserId, request.Reason ?? "cancelled by the initiating partner");
    }

    // Synchronous on purpose: CancelAsync would run the callbacks outside the orchestration's thread.
#pragma warning disable CA1849
    internal static void CancelWaits(CancellationTokenSource source) => source.Cancel();
#pragma warning restore CA1849
}

/// <summary>
/// Signs off amended terms of a launched offering: the same gates, deadline, reminders and escalation as
/// the first round, in its own instance so the launched terms stay in force meanwhile.
/// </summary>
public sealed class AmendmentRoundOrchestrator : TaskOrchestrator<AmendmentRoundInput, AmendmentRoundResult>
{
    /// <inheritdoc />
    public override async Task<AmendmentRoundResult> RunAsync(TaskOrchestrationContext context, AmendmentRoundInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var journal = new OfferingJournal(context, input.OfferingId, input.InitiatingPartnerId, input.InForce, input.Sequence)
        {
            PendingTerms = input.Proposed,
            SkuCode = input.SkuCode,
            Round = RoundOf(context.InstanceId),
        };
        var round = await SignOffRound.RunAsync(context, journal, input.Gates, input.SponsorUserId, input.SignOffWindow, acceptCancel: false);
        var stage = round.Stage == OfferingStage.AwaitingSignOffs ? OfferingStage.Launched : round.Stage;
        return new AmendmentRoundResult(round with { Stage = stage }, journal.Sequence);
    }

    /// <summary>The name of an offering's <paramref name="number"/>th amendment round: its instance id after <c>{offeringId}~</c>, and its audit entries' prefix.</summary>
    internal static string RoundName(int number) => string.Create(CultureInfo.InvariantCulture, $"amendment-{number}");

    /// <summary>The round name in an amendment round's instance id (<c>{offeringId}~{RoundName}</c>).</summary>
    private static string RoundOf(string instanceId) => instanceId[(instanceId.IndexOf('~', StringComparison.Ordinal) + 1)..];
}

/// <summary>
/// One governance round: every gate in parallel, raced against the deadline. Reminders go out at 50 %
/// and 80 % of the window; at the deadline the executive sponsor is asked once, with half the window
/// again; after that the round expires. A decision counts only from an approver of a still-pending gate
/// and only for the current terms hash; anything else is audited and ignored.
/// </summary>
internal static class SignOffRound
{
    public static async Task<RoundOutcome> RunAsync(
        TaskOrchestrationContext context, OfferingJournal journal, IReadOnlyList<Gate> gates, string sponsorUserId, TimeSpan window, bool acceptCancel)
    {
        var termsHash = journal.SignOffTerms.TermsHash;
        var start = context.CurrentUtcDateTime;
        var deadline = start + window;
        var milestones = new List<(DateTime At, string Kind)>
        {
            (start + (window * 0.5), "50"),
            (start + (window * 0.8), "80"),
            (deadline, "deadline"),
        };
        var states = gates.ToDictionary(g => g.GateId, g => new GateState(g.GateId, g.Kind, g.Approvers, "Pending", null, null, null), StringComparer.Ordinal);
        var escalated = false;
        journal.ShowRound(states.Values, deadline, escalated);
        foreach (var gate in gates)
        {
            await journal.RecordAsync($"{journal.Round}-requested-{gate.GateId}", "signoff.requested", "system", $"{gate.GateId} requested from {string.Join(", ", gate.Approvers)} by {deadline:O}");
        }

        while (states.Values.Any(s => s.State == "Pending"))
        {
            var (at, kind) = milestones[0];
            using var stop = new CancellationTokenSource();
            var decision = context.WaitForExternalEvent<SignOffDecision>(OfferingEvents.SignOff, stop.Token);
            var cancel = acceptCancel ? context.WaitForExternalEvent<CancelRequest>(OfferingEvents.Cancel, stop.Token) : null;
            var timer = context.CreateTimer(at, stop.Token);
            await Task.WhenAny(cancel is null ? [decision, timer] : [decision, timer, cancel]);
            JointOfferingOrchestrator.CancelWaits(stop);

            // Events may already have been taken off the buffer by waits that did not win: handle every
            // completed one, cancellation first, so none is lost.
            if (cancel is { IsCompletedSuccessfully: true })
            {
                var request = await cancel;
                journal.LastActor = request.UserId;
                return await EndAsync(context, journal, states, OfferingStage.Cancelled, request.Reason ?? "cancelled by the initiating partner");
            }

            if (decision.IsCompletedSuccessfully)
            {
                var signOff = await decision;
                if (await ApplyAsync(journal, states, signOff, termsHash, start, context.CurrentUtcDateTime) is { } rejection)
                {
                    return await EndAsync(context, journal, states, OfferingStage.Rejected, rejection);
                }

                journal.ShowRound(states.Values, deadline, escalated);
                continue;
            }

            milestones.RemoveAt(0);
            var pending = string.Join(", ", states.Values.Where(s => s.State == "Pending").Select(s => s.GateId));
            if (kind != "deadline")
            {
                await journal.RecordAsync($"{journal.Round}-reminder-{kind}", "signoff.reminder", "system", $"{kind} % of the window elapsed; pending: {pending}");
                continue;
            }

            if (escalated)
            {
                return await EndAsync(context, journal, states, OfferingStage.Expired, $"deadline {deadline:O} passed after escalation; pending: {pending}");
            }

            escalated = true;
            deadline += window * 0.5;
            milestones.Add((deadline, "deadline"));
            journal.ShowRound(states.Values, deadline, escalated);
            await journal.RecordAsync($"{journal.Round}-escalated", "signoff.escalated", "system", $"escalated to {sponsorUserId}; pending: {pending}; extended to {deadline:O}");
        }

        return new RoundOutcome(OfferingStage.AwaitingSignOffs, null, [.. states.Values]);
    }

    /// <summary>
    /// Ends a round before every gate was decided: closes the undecided gates, so later decisions are refused
    /// visibly, and records each decision that was accepted but raced the end (it arrived with or after the
    /// cancellation, rejection or deadline), so an accepted command is never silently dropped.
    /// </summary>
    private static async Task<RoundOutcome> EndAsync(
        TaskOrchestrationContext context, OfferingJournal journal, Dictionary<string, GateState> states, OfferingStage stage, string reason)
    {
        var undecided = states.Values.Where(s => s.State == "Pending").Select(s => s.GateId).ToList();
        var late = await context.CallActivityAsync<IReadOnlyList<LateDecision>>(
            nameof(CloseRoundActivity), new CloseRoundInput(journal.OfferingId, context.InstanceId, undecided), DependencyRetry.Options);
        foreach (var decision in late)
        {
            await journal.RecordAsync($"{journal.Round}-late-{decision.GateId}", "signoff.ignored", decision.UserId, $"{decision.GateId}: the decision arrived after the round ended ({stage.ToString().ToLowerInvariant()})");
        }

        return new RoundOutcome(stage, reason, [.. states.Values]);
    }

    private static bool IsRepeatOf(GateState gate, SignOffDecision signOff) =>
        gate.State == (signOff.Approve ? "Approved" : "Rejected")
        && gate.DecidedBy == signOff.UserId
        && gate.Comment == signOff.Comment;

    /// <summary>Applies a decision; returns the rejection reason when the gate was rejected.</summary>
    private static async Task<string?> ApplyAsync(
        OfferingJournal journal, Dictionary<string, GateState> states, SignOffDecision signOff, string termsHash, DateTime openedAt, DateTime now)
    {
        if (states.TryGetValue(signOff.GateId, out var decided) && IsRepeatOf(decided, signOff))
        {
            // The same decision delivered again (a retried command): it was applied and audited the first time.
            return null;
        }

        var problem = !states.TryGetValue(signOff.GateId, out var gate) ? $"no gate {signOff.GateId}"
            : gate.State != "Pending" ? $"gate {signOff.GateId} was already {gate.State.ToLowerInvariant()}"
            : !gate.Approvers.Contains(signOff.UserId, StringComparer.Ordinal) ? $"{signOff.UserId} is not an approver of {signOff.GateId}"
            : signOff.TermsHash != termsHash ? $"decision for terms {signOff.TermsHash}, current terms are {termsHash}"
            : null;
        if (problem is not null)
        {
            // A refused decision has no place in the round to name it: its content does, so the same one sent again is one entry.
            await journal.RecordAsync(
                $"{journal.Round}-ignored-{OfferingJournal.Digest(signOff.GateId, signOff.UserId, signOff.Approve ? "approve" : "reject", signOff.Comment ?? "", signOff.TermsHash, problem)}",
                "signoff.ignored",
                signOff.UserId,
                problem);
            return null;
        }

        states[signOff.GateId] = gate! with
        {
            State = signOff.Approve ? "Approved" : "Rejected",
            DecidedBy = signOff.UserId,
            DecidedAt = now,
            Comment = signOff.Comment,
        };
        journal.LastActor = signOff.UserId;
        if (!journal.IsReplaying)
        {
            WorkflowMetrics.SignOffDecided(now - openedAt, gate.Kind.ToString(), signOff.Approve);
        }

        await journal.RecordAsync(
            $"{journal.Round}-decided-{signOff.GateId}",
            SignOffRecord.AuditAction,
            signOff.UserId,
            new SignOffRecord(signOff.GateId, signOff.Approve, signOff.Comment).Detail);
        return signOff.Approve ? null : $"{signOff.GateId} rejected by {signOff.UserId}: {signOff.Comment ?? "no comment"}";
    }
}

/// <summary>
/// The orchestration's view of the offering: custom status, and every transition recorded through one
/// activity (audit entry + snapshot + event). An entry's id (and its event's id) names the transition's cause,
/// unique in the offering's life (<c>approved</c>, <c>round-decided-legal</c>, <c>amendment-2-amended</c>), not
/// its place: a retried step writes the same entry and publishes the same event id, and so does a step that runs
/// in an episode the provider never committed. The provider sends an episode's activity messages before it
/// checkpoints its history; after a crash the episode runs again, possibly on other messages (a sign-off that was
/// invisible after the crash comes later), so the same place can hold another transition, and an id by place
/// would drop it as a duplicate (#17). The sequence orders the trail.
/// </summary>
internal sealed class OfferingJournal(TaskOrchestrationContext context, string offeringId, string initiatingPartnerId, OfferingTerms terms, int sequence)
{
    private OfferingStatus _status = new(OfferingStage.Validating, terms.TermsHash, [], null, false, null, context.InstanceId, null);

    public string OfferingId => offeringId;

    /// <summary>The terms in force (launched, or being signed the first time).</summary>
    public OfferingTerms Terms { get; set; } = terms;

    /// <summary>Amended terms being signed; the launched <see cref="Terms"/> stay in force meanwhile.</summary>
    public OfferingTerms? PendingTerms { get; init; }

    /// <summary>The terms sign-offs are bound to.</summary>
    public OfferingTerms SignOffTerms => PendingTerms ?? Terms;

    public int Sequence { get; private set; } = sequence;

    public string? SkuCode { get; set; }

    public string LastActor { get; set; } = "system";

    /// <summary>The sign-off round this journal records: <c>round</c> before launch, an amendment's round name after.</summary>
    public string Round { get; init; } = "round";

    public bool IsReplaying => context.IsReplaying;

    public void Continue(int sequenceFromRound) => Sequence = sequenceFromRound;

    public void Show(OfferingStage stage) =>
        Publish(_status with { Stage = stage, TermsHash = SignOffTerms.TermsHash, SkuCode = SkuCode, SignOffInstanceId = context.InstanceId });

    /// <summary>Points callers at the amendment round's instance, which now receives sign-offs.</summary>
    public void ShowAmendmentRound(string roundInstanceId, string pendingTermsHash) =>
        Publish(_status with { Stage = OfferingStage.Amending, TermsHash = pendingTermsHash, SignOffInstanceId = roundInstanceId });

    public void ShowRound(IEnumerable<GateState> gates, DateTime deadline, bool escalated) =>
        Publish(_status with { Stage = OfferingStage.AwaitingSignOffs, TermsHash = SignOffTerms.TermsHash, Gates = [.. gates], Deadline = deadline, Escalated = escalated });

    /// <summary>A short digest naming a cause by its content, for transitions that may repeat with different content.</summary>
    public static string Digest(params string[] parts) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', parts))))[..16];

    /// <summary>Records one transition; <paramref name="cause"/> names it uniquely within the offering (ids allow letters, digits, '-', '_', '.').</summary>
    public Task RecordAsync(string cause, string eventType, string actor, string detail)
    {
        Sequence++;
        var stage = _status.Stage;
        return context.CallActivityAsync(nameof(RecordTransitionActivity), new TransitionInput(
            offeringId,
            initiatingPartnerId,
            Terms,
            PendingTerms,
            stage.ToString(),
            IsActive: stage is not (OfferingStage.Invalid or OfferingStage.VerificationFailed or OfferingStage.Rejected or OfferingStage.Expired or OfferingStage.Cancelled or OfferingStage.Retired),
            SkuCode,
            eventType,
            $"{offeringId}-{cause}",
            Sequence,
            context.CurrentUtcDateTime,
            actor,
            detail), DependencyRetry.Options);
    }

    public async Task<JointOfferingResult> EndAsync(OfferingStage stage, string eventType, string actor, string? reason)
    {
        Publish(_status with { Stage = stage, Reason = reason, SkuCode = SkuCode });
        await RecordAsync("ended", eventType, actor, reason ?? stage.ToString());
        return new JointOfferingResult(stage, SkuCode, reason);
    }

    private void Publish(OfferingStatus status)
    {
        _status = status;
        context.SetCustomStatus(status);
    }
}
