using EcosystemFlows.Workflows.JointOffering;

namespace EcosystemFlows.Bench.Faults;

/// <summary>
/// The guarantees the suite proves (issue #8), each with its violations (empty: holds). Read from the end
/// state of the services, compared with what the suite asked for.
/// </summary>
internal static class Invariants
{
    public const string ExpectedState = "every_offering_reached_the_state_its_commands_imply";
    public const string NoneStuck = "no_orchestration_stuck";
    public const string SkuOnce = "sku_unique_per_catalog_and_created_once";
    public const string EventsOnce = "each_transition_event_published_and_received_once_per_subscription";
    public const string AuditComplete = "audit_trail_complete_and_ordered";
    public const string MessagesAccounted = "no_message_unaccounted";

    private static readonly Dictionary<OfferingStage, string[]> FinalEvents = new()
    {
        [OfferingStage.Launched] = ["offering.launched", "offering.amended", "offering.amendment-rejected"],
        [OfferingStage.Rejected] = ["offering.rejected"],
        [OfferingStage.Invalid] = ["offering.rejected"],
        [OfferingStage.VerificationFailed] = ["offering.rejected"],
        [OfferingStage.Cancelled] = ["offering.cancelled"],
        [OfferingStage.Expired] = ["offering.expired"],
        [OfferingStage.Retired] = ["offering.retired"],
    };

    /// <summary>
    /// Settled: the snapshot's stage is one the offering rests in and the audit trail ends with that
    /// stage's event (the custom status shows a stage before its transition is recorded).
    /// </summary>
    public static bool Settled(Doc? snapshot, IReadOnlyList<Doc> audit) =>
        snapshot?.Stage is { } stage && Enum.TryParse<OfferingStage>(stage, out var parsed) &&
        FinalEvents.TryGetValue(parsed, out var events) && audit.Count > 0 && events.Contains(audit[^1].Action);

    public static Dictionary<string, List<string>> Check(IReadOnlyList<OfferingRun> runs, EndState end, IReadOnlyDictionary<string, string> runtimeStatus)
    {
        var violations = new[] { ExpectedState, NoneStuck, SkuOnce, EventsOnce, AuditComplete, MessagesAccounted }
            .ToDictionary(k => k, _ => new List<string>(), StringComparer.Ordinal);
        var byOffering = end.Offerings.Where(d => d.OfferingId is not null).ToLookup(d => d.OfferingId!, StringComparer.Ordinal);
        var skus = end.Catalog.Where(d => d.DocType == "sku").ToLookup(d => d.OfferingId ?? "", StringComparer.Ordinal);
        var events = end.Events.ToLookup(e => e.OfferingId, StringComparer.Ordinal);
        var deadLettered = end.DeadLettered.Where(m => m.MessageId is not null).ToLookup(m => m.MessageId!, StringComparer.Ordinal);

        foreach (var run in runs)
        {
            var id = run.OfferingId;
            var snapshot = byOffering[id].FirstOrDefault(d => d.DocType == "snapshot");
            var audit = byOffering[id].Where(d => d.DocType == "audit").OrderBy(d => d.Sequence).ToList();
            var support = byOffering[id].FirstOrDefault(d => d.DocType == "support");
            var sku = skus[id].ToList();
            var stage = snapshot?.Stage is { } s && Enum.TryParse<OfferingStage>(s, out var parsed) ? parsed : (OfferingStage?)null;

            if (!Settled(snapshot, audit) || runtimeStatus.GetValueOrDefault(id) is "Failed" or "Terminated" or null)
            {
                violations[NoneStuck].Add($"{id} ({run.Plan}): stage {stage?.ToString() ?? "none"}, last audit {audit.LastOrDefault()?.Action ?? "none"}, runtime {runtimeStatus.GetValueOrDefault(id) ?? "missing"}{(run.GaveUp is { } g ? $", driver: {g}" : "")}");
            }

            CheckExpected(run, stage, snapshot, audit, sku, support, violations[ExpectedState]);
            CheckSku(run, stage, sku, snapshot, audit, violations[SkuOnce]);
            CheckAudit(run, audit, violations[AuditComplete]);
            CheckEvents(run, audit, events[id].ToList(), violations[EventsOnce]);
            CheckCommands(run, snapshot, audit, deadLettered, violations[MessagesAccounted]);
            foreach (var refusal in run.UnexpectedRefusals)
            {
                violations[ExpectedState].Add($"{id} ({run.Plan}): {refusal}");
            }
        }

        // The catalog's ids are unique by construction (document id = SKU code); a code held for an offering the
        // run does not know, or an offering holding two, is a duplicated effect.
        var known = runs.Select(r => r.OfferingId).ToHashSet(StringComparer.Ordinal);
        foreach (var stray in end.Catalog.Where(d => d.DocType == "sku" && !known.Contains(d.OfferingId ?? "")))
        {
            violations[SkuOnce].Add($"SKU {stray.Id} held by unknown offering {stray.OfferingId}");
        }

        foreach (var parked in end.DeadLettered.Where(m => string.IsNullOrWhiteSpace(m.Reason)))
        {
            violations[MessagesAccounted].Add($"dead-lettered without a reason on {parked.Queue}: {parked.MessageId}");
        }

        foreach (var parked in end.DeadLettered.Where(m => m.Queue != EndState.DeadLetteredCommands))
        {
            violations[MessagesAccounted].Add($"event dead-lettered on {parked.Queue}: {parked.MessageId} ({parked.Reason})");
        }

        foreach (var left in end.LeftOver)
        {
            violations[MessagesAccounted].Add($"command never settled, still on {left.Queue}: {left.MessageId}");
        }

        foreach (var poisoned in end.Poisoned)
        {
            violations[MessagesAccounted].Add($"task message poisoned: {poisoned.MessageId} ({poisoned.Reason ?? "no reason"})");
        }

        return violations;
    }

    private static void CheckExpected(OfferingRun run, OfferingStage? stage, Doc? snapshot, List<Doc> audit, List<Doc> sku, Doc? support, List<string> violations)
    {
        var id = run.OfferingId;
        var recorded = audit.Where(a => a.Action == "signoff.recorded").ToList();
        OfferingStage[] allowed = run.Plan switch
        {
            Plan.Launch or Plan.Amend => [OfferingStage.Launched],
            Plan.Reject => [OfferingStage.Rejected],
            Plan.Cancel => [OfferingStage.Cancelled],
            Plan.Retire => [OfferingStage.Retired],
            Plan.RaceApprovers => recorded.FirstOrDefault(a => a.Detail?.StartsWith("member-fabrikam", StringComparison.Ordinal) == true)?.Actor == "dan"
                ? [OfferingStage.Launched]
                : [OfferingStage.Rejected],
            _ => [OfferingStage.Launched, OfferingStage.Cancelled],
        };
        if (stage is not { } reached || !allowed.Contains(reached))
        {
            violations.Add($"{id} ({run.Plan}): expected {string.Join(" or ", allowed)}, is {stage?.ToString() ?? "missing"}");
            return;
        }

        if (run.Plan == Plan.Amend && snapshot?.Terms?.TermsHash != run.AmendedTermsHash)
        {
            violations.Add($"{id} (Amend): terms in force {snapshot?.Terms?.TermsHash}, amended {run.AmendedTermsHash}");
        }

        if (run.Plan == Plan.RaceApprovers)
        {
            var fabrikam = recorded.Count(a => a.Detail?.StartsWith("member-fabrikam", StringComparison.Ordinal) == true);
            var accepted = run.RaceAnswers.Count(a => a.Value.Accepted && !a.Value.Retried);
            if (fabrikam != 1 || accepted > 1)
            {
                violations.Add($"{id} (RaceApprovers): {fabrikam} decisions recorded on member-fabrikam, {accepted} first-attempt 202s (expected 1 and at most 1)");
            }
        }

        if (run.Plan == Plan.RaceCancelLaunch && reached == OfferingStage.Launched &&
            run.RaceAnswers.TryGetValue("cancel", out var cancel) && cancel.Accepted &&
            !audit.Any(a => a.Action == "offering.cancel-refused"))
        {
            violations.Add($"{id} (RaceCancelLaunch): the cancel was accepted (202) but the offering launched and no refusal was recorded");
        }

        // Effects of the end stage: a launched offering sells and is supported; an ended one neither.
        var active = sku.Where(d => d.Retired != true).ToList();
        var supported = support is { Ended: not true } && support.Id == "support";
        if (reached == OfferingStage.Launched && (active.Count != 1 || !supported))
        {
            violations.Add($"{id}: launched with {active.Count} active SKUs and support {(supported ? "assigned" : "missing")}");
        }

        if (reached != OfferingStage.Launched && (active.Count > 0 || supported))
        {
            violations.Add($"{id}: {reached} with {active.Count} active SKUs and support {(supported ? "still assigned" : "ended or none")}");
        }
    }

    private static void CheckSku(OfferingRun run, OfferingStage? stage, List<Doc> sku, Doc? snapshot, List<Doc> audit, List<string> violations)
    {
        var created = audit.Count(a => a.Action == "sku.created");
        if (sku.Count > 1 || created > 1)
        {
            violations.Add($"{run.OfferingId}: {sku.Count} SKU documents ({string.Join(", ", sku.Select(d => d.Id))}), {created} sku.created entries");
        }

        if (stage == OfferingStage.Launched && snapshot?.SkuCode != sku.FirstOrDefault()?.Id)
        {
            violations.Add($"{run.OfferingId}: snapshot SKU {snapshot?.SkuCode} differs from the catalog's {sku.FirstOrDefault()?.Id}");
        }
    }

    private static void CheckAudit(OfferingRun run, List<Doc> audit, List<string> violations)
    {
        var id = run.OfferingId;
        if (audit.Count == 0)
        {
            violations.Add($"{id}: no audit entries");
            return;
        }

        var sequences = audit.Select(a => a.Sequence ?? 0).ToList();
        if (!sequences.SequenceEqual(Enumerable.Range(1, audit.Count)))
        {
            violations.Add($"{id}: audit sequences are not 1..{audit.Count}: {string.Join(",", sequences)}");
        }

        if (audit[0].Action != "offering.submitted")
        {
            violations.Add($"{id}: the audit trail starts with {audit[0].Action}");
        }

        for (var i = 1; i < audit.Count; i++)
        {
            if (audit[i].At < audit[i - 1].At)
            {
                violations.Add($"{id}: audit entry {audit[i].Sequence} ({audit[i].Action}) is older than entry {audit[i - 1].Sequence}");
            }
        }

        // Each gate is decided at most once per round it was requested in.
        foreach (var gate in audit.Where(a => a.Action == "signoff.recorded").GroupBy(a => a.Detail!.Split(' ')[0], StringComparer.Ordinal))
        {
            var rounds = audit.Count(a => a.Action == "signoff.requested" && a.Detail!.StartsWith(gate.Key + " ", StringComparison.Ordinal));
            if (gate.Count() > rounds)
            {
                violations.Add($"{id}: gate {gate.Key} decided {gate.Count()} times in {rounds} rounds");
            }
        }

        string[] order = ["offering.approved", "sku.created", "support.assigned", "offering.launched"];
        var positions = order.Select(o => audit.FindIndex(a => a.Action == o)).Where(p => p >= 0).ToList();
        if (!positions.SequenceEqual(positions.Order()))
        {
            violations.Add($"{id}: launch steps out of order: {string.Join(" → ", audit.Select(a => a.Action))}");
        }
    }

    private static void CheckEvents(OfferingRun run, List<Doc> audit, List<ReceivedEvent> received, List<string> violations)
    {
        var expected = audit.ToDictionary(a => a.Id["audit-".Length..], a => a.Sequence ?? 0, StringComparer.Ordinal);
        foreach (var subscription in EndState.Subscriptions)
        {
            var got = received.Where(e => e.Subscription == subscription).ToList();
            var distinct = got.GroupBy(e => e.Id, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
            var missing = expected.Keys.Where(k => !distinct.ContainsKey(k)).ToList();
            var extra = distinct.Keys.Where(k => !expected.ContainsKey(k)).ToList();
            var wrongSequence = distinct.Values.Where(e => expected.TryGetValue(e.Id, out var seq) && seq != e.Sequence).ToList();
            var sameSequence = distinct.Values.GroupBy(e => e.Sequence).Where(g => g.Count() > 1).ToList();
            if (missing.Count > 0 || extra.Count > 0 || wrongSequence.Count > 0 || sameSequence.Count > 0)
            {
                violations.Add($"{run.OfferingId} on {subscription}: missing {string.Join(",", missing)}; unexpected {string.Join(",", extra)}; " +
                    $"wrong sequence {wrongSequence.Count}; sequences published under two ids {string.Join(",", sameSequence.Select(g => g.Key))}");
            }
        }
    }

    /// <summary>Every Service Bus command took effect or was dead-lettered with its reason.</summary>
    private static void CheckCommands(OfferingRun run, Doc? snapshot, List<Doc> audit, ILookup<string, ParkedMessage> deadLettered, List<string> violations)
    {
        foreach (var (messageId, command) in run.Commands)
        {
            if (deadLettered[messageId].Any())
            {
                continue;
            }

            var effective = command.Command switch
            {
                OfferingCommandType.StartJointOffering => snapshot is not null,
                OfferingCommandType.RecordSignOff => audit.Any(a => a.Action is "signoff.recorded" or "signoff.ignored" && a.Actor == command.Actor.UserId &&
                                                                    a.Detail!.Contains(command.GateId!, StringComparison.Ordinal)),
                _ => snapshot?.Stage == nameof(OfferingStage.Cancelled),
            };
            if (!effective)
            {
                violations.Add($"{run.OfferingId}: command {messageId} ({command.Command}) neither took effect nor was dead-lettered");
            }
        }
    }
}
