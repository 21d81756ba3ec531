using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using EcosystemFlows.Azure.ServiceBus.Events;
using EcosystemFlows.Domain.Offerings;
using EcosystemFlows.Domain.Partners;
using EcosystemFlows.Domain.Ports;
using Microsoft.DurableTask;

namespace EcosystemFlows.Workflows.JointOffering;

public sealed record ValidateOfferingInput(string OfferingId, OfferingTerms Terms);

public sealed record VerifyPartnerInput(string PartnerId, OfferingTerms Terms);

public sealed record CheckConflictsInput(string OfferingId, OfferingTerms Terms);

public sealed record CreateSkuInput(string OfferingId, string CatalogId, string Category);

public sealed record AssignSupportInput(string OfferingId, SupportPlan Plan);

public sealed record RetireSkuInput(string CatalogId, string SkuCode);

public sealed record WriteOfferingSheetInput(string OfferingId, OfferingTerms Terms, string SkuCode, DateTime At);

/// <summary>The gates of a sign-off round (instance <paramref name="RoundInstanceId"/>) still undecided when it ended.</summary>
public sealed record CloseRoundInput(string OfferingId, string RoundInstanceId, IReadOnlyList<string> GateIds);

/// <summary>A decision accepted from <paramref name="UserId"/> for a gate whose round ended before applying it.</summary>
public sealed record LateDecision(string GateId, string UserId);

/// <summary>One state transition: audit entry, snapshot and event, all keyed by <paramref name="EventId"/>.</summary>
public sealed record TransitionInput(
    string OfferingId,
    string InitiatingPartnerId,
    OfferingTerms Terms,
    OfferingTerms? PendingTerms,
    string Stage,
    bool IsActive,
    string? SkuCode,
    string EventType,
    string EventId,
    int Sequence,
    DateTime At,
    string Actor,
    string Detail);

/// <summary>The data of every offering event (CloudEvents <c>data</c>); the event type says what happened.</summary>
public sealed record OfferingEventData(string OfferingId, int Sequence, string Stage, string Actor, string Detail, string TermsHash, string? SkuCode);

/// <summary>Source-generated JSON for event data (CONVENTIONS #10).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(OfferingEventData))]
public sealed partial class WorkflowJsonContext : JsonSerializerContext;

/// <summary>Re-checks the terms against the registered partners and derives the governance gates.</summary>
public sealed class ValidateOfferingActivity(IPartnerDirectory partners, TimeProvider time) : TaskActivity<ValidateOfferingInput, ValidationOutcome>
{
    /// <inheritdoc />
    public override async Task<ValidationOutcome> RunAsync(TaskActivityContext context, ValidateOfferingInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var members = await partners.GetManyAsync([.. input.Terms.Members.Select(m => m.PartnerId)], CancellationToken.None);
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var errors = OfferingRules.Validate(input.Terms, members, today);
        if (errors.Count > 0)
        {
            return new ValidationOutcome(errors, [], null, "");
        }

        var lead = members[input.Terms.Lead.PartnerId];
        return new ValidationOutcome([], Governance.GatesFor(input.Terms, members), Governance.ConflictReviewGate(input.Terms, members), lead.ExecutiveSponsor);
    }
}

/// <summary>"Trust, but verify": one member against the baseline, with the partner's current record.</summary>
public sealed class VerifyPartnerActivity(IPartnerDirectory partners) : TaskActivity<VerifyPartnerInput, MemberVerification>
{
    /// <inheritdoc />
    public override async Task<MemberVerification> RunAsync(TaskActivityContext context, VerifyPartnerInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var found = await partners.GetManyAsync([input.PartnerId], CancellationToken.None);
        return found.TryGetValue(input.PartnerId, out var partner)
            ? new MemberVerification(input.PartnerId, PartnerVerification.Verify(partner, input.Terms))
            : new MemberVerification(input.PartnerId, [$"partner {input.PartnerId} is no longer registered"]);
    }
}

/// <summary>
/// Other active offerings in the same catalog category that share a member: the same partner would
/// compete with itself, so the overlap goes to a review gate instead of passing silently.
/// </summary>
public sealed class CheckConflictsActivity(IOfferingStore offerings) : TaskActivity<CheckConflictsInput, IReadOnlyList<string>>
{
    /// <inheritdoc />
    public override async Task<IReadOnlyList<string>> RunAsync(TaskActivityContext context, CheckConflictsInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var ours = input.Terms.Members.Select(m => m.PartnerId).ToHashSet(StringComparer.Ordinal);
        var active = await offerings.FindActiveAsync(input.Terms.CatalogId, input.Terms.Category, input.OfferingId, CancellationToken.None);
        return [.. active.Where(o => o.Terms.Members.Any(m => ours.Contains(m.PartnerId))).Select(o => o.OfferingId).Order(StringComparer.Ordinal)];
    }
}

/// <summary>Appends the audit entry, updates the snapshot, then publishes the event (same id on every retry).</summary>
public sealed class RecordTransitionActivity(IOfferingStore offerings, IEventPublisher events) : TaskActivity<TransitionInput, bool>
{
    /// <inheritdoc />
    public override async Task<bool> RunAsync(TaskActivityContext context, TransitionInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var snapshot = new OfferingSnapshot(input.OfferingId, input.InitiatingPartnerId, input.Terms, input.Stage, input.IsActive, input.SkuCode, input.PendingTerms);
        await offerings.RecordAsync(snapshot, new AuditEntry(input.EventId, input.Sequence, input.At, input.Actor, input.EventType, input.Detail), CancellationToken.None);

        var dot = input.EventType.IndexOf('.', StringComparison.Ordinal);
        var publication = new EventPublication<OfferingEventData>(
            input.EventId,
            new CloudEventType(input.EventType[..dot], input.EventType[(dot + 1)..]),
            input.OfferingId,
            new OfferingEventData(input.OfferingId, input.Sequence, input.Stage, input.Actor, input.Detail, (input.PendingTerms ?? input.Terms).TermsHash, input.SkuCode))
        {
            PartnerIds = [.. input.Terms.Members.Select(m => m.PartnerId)],
            Time = new DateTimeOffset(input.At, TimeSpan.Zero),
        };
        await events.PublishAsync(publication, WorkflowJsonContext.Default.OfferingEventData, CancellationToken.None);
        return true;
    }
}

/// <summary>
/// Closes the undecided gates of a round that ended, so no decision is accepted for them any more, and returns
/// the decisions that were accepted (claimed) but raced the end: the workflow records them instead of dropping them.
/// </summary>
public sealed class CloseRoundActivity(IOfferingStore offerings) : TaskActivity<CloseRoundInput, IReadOnlyList<LateDecision>>
{
    /// <inheritdoc />
    public override async Task<IReadOnlyList<LateDecision>> RunAsync(TaskActivityContext context, CloseRoundInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var late = new List<LateDecision>();
        foreach (var gateId in input.GateIds)
        {
            if (await offerings.CloseDecisionAsync(input.OfferingId, input.RoundInstanceId, gateId, CancellationToken.None) is { } userId)
            {
                late.Add(new LateDecision(gateId, userId));
            }
        }

        return late;
    }
}

/// <summary>Claims the offering's deterministic SKU code in its catalog, trying the next attempt on a collision.</summary>
public sealed class CreateSkuActivity(ICatalog catalog) : TaskActivity<CreateSkuInput, string>
{
    private const int MaxAttempts = 20;

    /// <inheritdoc />
    public override async Task<string> RunAsync(TaskActivityContext context, CreateSkuInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            var code = SkuCode.Create(input.CatalogId, input.Category, input.OfferingId, attempt);
            if (await catalog.TryClaimAsync(input.CatalogId, code, input.OfferingId, CancellationToken.None))
            {
                return code;
            }
        }

        throw new InvalidOperationException($"no free SKU code for {input.OfferingId} in {input.CatalogId} after {MaxAttempts} attempts");
    }
}

/// <summary>Routes support: L1 escalates to L2, L2 to L3.</summary>
public sealed class AssignSupportActivity(ISupportRouting routing) : TaskActivity<AssignSupportInput, bool>
{
    /// <inheritdoc />
    public override async Task<bool> RunAsync(TaskActivityContext context, AssignSupportInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        await routing.AssignAsync(
            input.OfferingId,
            [
                new SupportAssignment(SupportTier.L1, input.Plan.L1Owner, SupportTier.L2),
                new SupportAssignment(SupportTier.L2, input.Plan.L2Owner, SupportTier.L3),
                new SupportAssignment(SupportTier.L3, input.Plan.L3Owner, null),
            ],
            CancellationToken.None);
        return true;
    }
}

/// <summary>Ends the offering's support routing (compensation of cancel, and retirement).</summary>
public sealed class EndSupportActivity(ISupportRouting routing) : TaskActivity<string, bool>
{
    /// <inheritdoc />
    public override async Task<bool> RunAsync(TaskActivityContext context, string input)
    {
        await routing.EndAsync(input, CancellationToken.None);
        return true;
    }
}

/// <summary>Retires the SKU (compensation of cancel, and retirement).</summary>
public sealed class RetireSkuActivity(ICatalog catalog) : TaskActivity<RetireSkuInput, bool>
{
    /// <inheritdoc />
    public override async Task<bool> RunAsync(TaskActivityContext context, RetireSkuInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        await catalog.RetireAsync(input.CatalogId, input.SkuCode, CancellationToken.None);
        return true;
    }
}

/// <summary>Writes the offering sheet as JSON (for systems) and Markdown (for people).</summary>
public sealed class WriteOfferingSheetActivity(IArtifactStore artifacts) : TaskActivity<WriteOfferingSheetInput, bool>
{
    public const string JsonName = "offering-sheet.json";
    public const string MarkdownName = "offering-sheet.md";

    private static readonly JsonSerializerOptions SheetJson = new(WorkflowJson.Options) { WriteIndented = true };

    /// <inheritdoc />
    public override async Task<bool> RunAsync(TaskActivityContext context, WriteOfferingSheetInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var sheet = new { input.OfferingId, input.SkuCode, termsHash = input.Terms.TermsHash, issuedAt = input.At, input.Terms };
        await artifacts.WriteAsync(input.OfferingId, JsonName, "application/json", JsonSerializer.SerializeToUtf8Bytes(sheet, SheetJson), CancellationToken.None);
        await artifacts.WriteAsync(input.OfferingId, MarkdownName, "text/markdown; charset=utf-8", Encoding.UTF8.GetBytes(Markdown(input)), CancellationToken.None);
        return true;
    }

    private static string Markdown(WriteOfferingSheetInput input)
    {
        var t = input.Terms;
        var md = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        md.AppendLine(inv, $"# {t.Name}").AppendLine();
        md.AppendLine(inv, $"SKU **{input.SkuCode}** in catalog `{t.CatalogId}` ({t.Category}); terms `{t.TermsHash}`, issued {input.At:yyyy-MM-dd}.").AppendLine();
        md.AppendLine(t.ValueProposition).AppendLine();
        md.AppendLine(inv, $"Price: {t.Pricing.ListPrice.ToString("0.00##", inv)} {t.Pricing.Currency} ({t.Pricing.BillingTerm}). Launch: {t.LaunchDate:yyyy-MM-dd}.").AppendLine();
        md.AppendLine("| member | role | revenue share | responsibilities |").AppendLine("|---|---|---|---|");
        foreach (var m in t.Members)
        {
            md.AppendLine(inv, $"| {m.PartnerId} | {m.Role} | {m.RevenueSharePercent.ToString("0.##", inv)} % | {string.Join("; ", m.Responsibilities)} |");
        }

        md.AppendLine().AppendLine(inv, $"Support: L1 {t.SupportPlan.L1Owner} → L2 {t.SupportPlan.L2Owner} → L3 {t.SupportPlan.L3Owner}.");
        return md.ToString();
    }
}

/// <summary>
/// The joint-offering workflow's orchestrators and activities, by type: the one list both hosts bind. The local host
/// registers them with <see cref="AddJointOffering"/>; the Functions app has a hand-written <c>[Function]</c> wrapper
/// for each, and its contract test holds the two to this list.
/// </summary>
public static class JointOfferingRegistration
{
    /// <summary>The orchestrators (each registered under its class name).</summary>
    public static IReadOnlyList<Type> Orchestrators { get; } = [typeof(JointOfferingOrchestrator), typeof(AmendmentRoundOrchestrator)];

    /// <summary>The activities (each registered under its class name).</summary>
    public static IReadOnlyList<Type> Activities { get; } =
    [
        typeof(ValidateOfferingActivity),
        typeof(VerifyPartnerActivity),
        typeof(CheckConflictsActivity),
        typeof(RecordTransitionActivity),
        typeof(CloseRoundActivity),
        typeof(CreateSkuActivity),
        typeof(AssignSupportActivity),
        typeof(EndSupportActivity),
        typeof(RetireSkuActivity),
        typeof(WriteOfferingSheetActivity),
    ];

    /// <summary>Registers <see cref="Orchestrators"/> and <see cref="Activities"/> by type.</summary>
    public static DurableTaskRegistry AddJointOffering(this DurableTaskRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        foreach (var orchestrator in Orchestrators)
        {
            registry.AddOrchestrator(orchestrator);
        }

        foreach (var activity in Activities)
        {
            registry.AddActivity(activity);
        }

        return registry;
    }
}
