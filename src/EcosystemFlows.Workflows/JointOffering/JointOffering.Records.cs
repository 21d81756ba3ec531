using EcosystemFlows.Domain.Offerings;
using EcosystemFlows.Domain.Validation;

namespace EcosystemFlows.Workflows.JointOffering;

/// <summary>Where an offering is in its life.</summary>
public enum OfferingStage
{
    Validating,
    VerifyingPartners,
    CheckingConflicts,
    AwaitingSignOffs,
    CreatingSku,
    AssigningSupport,
    Launching,
    Launched,
    Amending,
    Invalid,
    VerificationFailed,
    Rejected,
    Expired,
    Cancelled,
    Retired,
}

/// <summary>Starts the <see cref="JointOfferingOrchestrator"/>; <see cref="Live"/> is set when it continues after launch.</summary>
public sealed record JointOfferingInput(
    string OfferingId,
    string InitiatingPartnerId,
    string InitiatedBy,
    OfferingTerms Terms,
    TimeSpan SignOffWindow,
    LiveOffering? Live = null);

/// <summary>
/// The launched state carried across <c>ContinueAsNew</c> while the offering is live. <paramref name="Gates"/> are the
/// decided gates of the terms in force (the round that launched or last amended them): a live instance's custom status
/// has none, so the offering's view shows these. Null in instances continued before it existed.
/// </summary>
public sealed record LiveOffering(OfferingTerms Terms, string SkuCode, int Sequence, int Amendments, IReadOnlyList<GateState>? Gates = null);

/// <summary>How the orchestration ended.</summary>
public sealed record JointOfferingResult(OfferingStage Stage, string? SkuCode, string? Reason);

/// <summary>Event <c>SignOff</c>: an approver's decision on one gate, for one terms hash.</summary>
public sealed record SignOffDecision(string GateId, string UserId, bool Approve, string? Comment, string TermsHash);

/// <summary>Event <c>Cancel</c>: the initiating partner withdraws the offering before launch.</summary>
public sealed record CancelRequest(string PartnerId, string UserId, string? Reason);

/// <summary>Event <c>Amend</c>: new terms for a launched offering; they apply once every gate signs them.</summary>
public sealed record AmendRequest(string PartnerId, string UserId, OfferingTerms Terms);

/// <summary>Event <c>Retire</c>: the offering leaves the catalog.</summary>
public sealed record RetireRequest(string PartnerId, string UserId, string? Reason);

/// <summary>The external event names the orchestrations wait for.</summary>
public static class OfferingEvents
{
    public const string SignOff = "SignOff";
    public const string Cancel = "Cancel";
    public const string Amend = "Amend";
    public const string Retire = "Retire";
}

/// <summary>One gate as shown in the custom status.</summary>
public sealed record GateState(string GateId, GateKind Kind, IReadOnlyList<string> Approvers, string State, string? DecidedBy, DateTime? DecidedAt, string? Comment);

/// <summary>
/// The custom status: always the step, the pending gates and the deadline, and which instance receives
/// sign-offs (the offering itself, or an amendment round).
/// </summary>
public sealed record OfferingStatus(
    OfferingStage Stage,
    string TermsHash,
    IReadOnlyList<GateState> Gates,
    DateTime? Deadline,
    bool Escalated,
    string? SkuCode,
    string SignOffInstanceId,
    string? Reason);

/// <summary>Result of the validation activity: rule errors, and the gates when valid.</summary>
public sealed record ValidationOutcome(IReadOnlyList<DomainError> Errors, IReadOnlyList<Gate> Gates, Gate? ConflictReviewGate, string SponsorUserId);

/// <summary>Result of verifying one member.</summary>
public sealed record MemberVerification(string PartnerId, IReadOnlyList<string> Findings);

/// <summary>Input of the amendment sub-orchestration; <paramref name="Sequence"/> continues the offering's audit numbering.</summary>
public sealed record AmendmentRoundInput(
    string OfferingId,
    string InitiatingPartnerId,
    OfferingTerms InForce,
    OfferingTerms Proposed,
    IReadOnlyList<Gate> Gates,
    string SponsorUserId,
    TimeSpan SignOffWindow,
    int Sequence,
    string? SkuCode);

/// <summary>Result of the amendment sub-orchestration: stage Launched when every gate signed the new terms.</summary>
public sealed record AmendmentRoundResult(RoundOutcome Outcome, int Sequence);

/// <summary>How a sign-off round ended.</summary>
public sealed record RoundOutcome(OfferingStage Stage, string? Reason, IReadOnlyList<GateState> Gates);

/// <summary>An offering as its members see it.</summary>
public sealed record OfferingView(
    string OfferingId,
    string InitiatingPartnerId,
    OfferingStage Stage,
    string TermsHash,
    OfferingTerms Terms,
    IReadOnlyList<GateState> Gates,
    DateTime? Deadline,
    bool Escalated,
    string? SkuCode,
    string? Reason,
    IReadOnlyDictionary<string, Uri> Links);
