using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using EcosystemFlows.Azure.ServiceBus.Events;
using EcosystemFlows.Domain.Offerings;
using EcosystemFlows.Domain.Partners;
using EcosystemFlows.Domain.Ports;
using EcosystemFlows.Domain.Tests;
using EcosystemFlows.Tests.Shared;
using EcosystemFlows.Workflows;
using EcosystemFlows.Workflows.JointOffering;
using Grpc.Core;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.DependencyInjection;
using Moq;

namespace EcosystemFlows.LocalHost.Tests.Workflows;

/// <summary>
/// Every path of the joint-offering workflow, run by the Durable Task SDK on its in-process test host. The host
/// has no fake clock: deadlines are tested with a sign-off window of seconds (the window is a
/// <see cref="TimeSpan"/>), and branch logic around them also with a mocked context (<c>SignOffRoundTests</c>).
/// </summary>
public sealed class JointOfferingTests : IAsyncLifetime
{
    private const string OfferingId = "off-1";
    private static readonly TimeSpan Window = TimeSpan.FromDays(10);
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);
    private readonly InMemoryPorts _ports = new();
    private DurableTaskTestHost _host = null!;

    public async Task InitializeAsync() => _host = await StartHostAsync(_ports);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Run_AllGatesApprove_LaunchesWithSkuSupportSheetAndEvents()
    {
        await StartAsync();

        await ApproveAllAsync(OfferingId);

        var status = await StatusAsync();
        Assert.Equal(OfferingStage.Launched, status.Stage);
        var sku = Assert.Single(_ports.Skus);
        Assert.Equal((OfferingId, false), sku.Value);
        Assert.Equal(status.SkuCode, sku.Key.Split('/')[1]);
        Assert.Equal(["fabrikam", "northwind", "contoso"], _ports.Support[OfferingId].Select(a => a.OwnerPartnerId));
        Assert.Contains($"{OfferingId}/{WriteOfferingSheetActivity.MarkdownName}", _ports.Artifacts.Keys);
        Assert.Equal(
            [
                "offering.submitted", "partner.verified", "partner.verified", "partner.verified",
                "signoff.requested", "signoff.requested", "signoff.requested", "signoff.requested", "signoff.requested",
                "signoff.recorded", "signoff.recorded", "signoff.recorded", "signoff.recorded", "signoff.recorded",
                "offering.approved", "sku.created", "support.assigned", "offering.launched",
            ],
            _ports.EventTypes(OfferingId));
        var audit = _ports.Audit[OfferingId];
        Assert.Equal(Enumerable.Range(1, audit.Count), audit.Select(a => a.Sequence));
        Assert.Contains(audit, a => a.Actor == "carol" && a.Action == "signoff.recorded");
    }

    [Fact]
    public async Task Run_GatesDecidedAfterTwoSeconds_SignOffWaitRecordedOncePerDecision()
    {
        // Arrange: decisions replayed by later episodes must not be measured again.
        var waits = new ConcurrentQueue<(double Seconds, string? Decision)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == WorkflowMetrics.MeterName && instrument.Name == WorkflowMetrics.SignOffWait)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((_, value, tags, _) =>
            waits.Enqueue((value, tags.ToArray().FirstOrDefault(t => t.Key == WorkflowMetrics.DecisionTag).Value as string)));
        listener.Start();
        await StartAsync();

        // Act
        await Task.Delay(TimeSpan.FromSeconds(2));
        await ApproveAllAsync(OfferingId);
        await SettleAsync();

        // Assert: other tests measure too, but none of them leaves a gate open for two seconds.
        var ours = waits.Where(w => w.Seconds >= 2).ToList();
        Assert.Equal(5, ours.Count);
        Assert.All(ours, w => Assert.Equal("approved", w.Decision));
    }

    [Fact]
    public async Task Run_DecisionsArriveBeforeTheRoundAsksForThem_AreBufferedAndCount()
    {
        await _host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(JointOfferingOrchestrator), Input(), new StartOrchestrationOptions { InstanceId = OfferingId });
        var hash = Examples.Terms().TermsHash;
        foreach (var (gate, user) in new[] { ("member-contoso", "alice"), ("member-northwind", "grace"), ("member-fabrikam", "dan"), ("sponsor", "carol"), ("legal", "ivan") })
        {
            await _host.Client.RaiseEventAsync(OfferingId, OfferingEvents.SignOff, new SignOffDecision(gate, user, true, null, hash));
        }

        await WaitForAsync(async () => await ShownAsync() is { Stage: OfferingStage.Launched });
        await SettleAsync();

        Assert.Equal(OfferingStage.Launched, (await StatusAsync()).Stage);
        Assert.Equal(5, _ports.EventTypes(OfferingId).Count(t => t == "signoff.recorded"));
    }

    [Fact]
    public async Task Run_DecisionsArriveWhileThePreviousOneIsBeingRecorded_NoneIsLost()
    {
        await StartAsync();
        var hash = Examples.Terms().TermsHash;

        foreach (var (gate, user) in new[] { ("member-contoso", "alice"), ("member-northwind", "grace"), ("member-fabrikam", "dan"), ("sponsor", "carol"), ("legal", "ivan") })
        {
            await _host.Client.RaiseEventAsync(OfferingId, OfferingEvents.SignOff, new SignOffDecision(gate, user, true, null, hash));
        }

        await WaitForAsync(async () => await ShownAsync() is { Stage: OfferingStage.Launched });
        await SettleAsync();

        Assert.Equal(5, _ports.EventTypes(OfferingId).Count(t => t == "signoff.recorded"));
        Assert.Equal(OfferingStage.Launched, (await StatusAsync()).Stage);
    }

    [Fact]
    public async Task Run_AnUncommittedEpisodeRecordedAnotherDecisionAtTheSamePlace_EveryDecisionIsInTheTrailOnce()
    {
        // Arrange: the Azure Storage provider sends an episode's activity messages before it checkpoints its history.
        // An episode that applied legal's decision first, then crashed before its checkpoint, has already recorded
        // that decision at the round's first decision's place; the episode run again sees contoso's decision first.
        await StartAsync();
        await SettleAsync();
        var place = _ports.Audit[OfferingId].Count + 1;
        var terms = Examples.Terms();
        await new RecordTransitionActivity(_ports, _ports).RunAsync(Mock.Of<TaskActivityContext>(), new TransitionInput(
            OfferingId, "contoso", terms, null, nameof(OfferingStage.AwaitingSignOffs), IsActive: true, SkuCode: null,
            SignOffRecord.AuditAction, $"{OfferingId}-round-decided-legal", place, DateTime.UtcNow, "ivan", new SignOffRecord("legal", true, "ok").Detail));

        // Act: the committed run applies contoso's decision first, then the others.
        await RaiseAsync(OfferingId, new SignOffDecision("member-contoso", "alice", true, "ok", terms.TermsHash));
        await ApproveAllAsync(OfferingId);

        // Assert: the trail keeps contoso's decision (an id by place named it like the earlier legal entry and
        // dropped it as a repeat) and holds legal's once; so do the events.
        Assert.Equal(OfferingStage.Launched, (await StatusAsync()).Stage);
        var decided = _ports.Audit[OfferingId].Where(a => a.Action == SignOffRecord.AuditAction).Select(a => SignOffRecord.Parse(a.Detail)!.GateId).Order(StringComparer.Ordinal);
        Assert.Equal(["legal", "member-contoso", "member-fabrikam", "member-northwind", "sponsor"], decided);
        Assert.Equal(5, _ports.EventTypes(OfferingId).Count(t => t == SignOffRecord.AuditAction));
    }

    [Fact]
    public async Task Run_SuspendedMember_FailsVerificationWithoutAskingForSignOffs()
    {
        _ports.Partners["northwind"] = Examples.Integrator with { Status = PartnerStatus.Suspended };

        await StartAsync();
        var result = await _host.Client.WaitForInstanceCompletionAsync(OfferingId, true);

        Assert.Equal(OfferingStage.VerificationFailed, result.ReadOutputAs<JointOfferingResult>()!.Stage);
        Assert.Contains("partner.verification-failed", _ports.EventTypes(OfferingId));
        Assert.DoesNotContain("signoff.requested", _ports.EventTypes(OfferingId));
    }

    [Fact]
    public async Task Run_ActiveOfferingSharesAMemberInCategory_AddsConflictReviewGate()
    {
        _ports.Offerings["off-0"] = new OfferingSnapshot("off-0", "contoso", Examples.Terms(), "Launched", IsActive: true, "JO-SEC-AAAAAAAA");

        await StartAsync();

        var status = await StatusAsync();
        Assert.Contains(status.Gates, g => g.GateId == Governance.ConflictReviewGateId && g.Approvers.SequenceEqual(["carol"]));
        Assert.Contains("conflict.detected", _ports.EventTypes(OfferingId));
        await ApproveAllAsync(OfferingId);
        Assert.Equal(OfferingStage.Launched, (await StatusAsync()).Stage);
    }

    [Fact]
    public async Task Run_OneGateRejects_EndsRejectedWithReason()
    {
        await StartAsync();
        var hash = Examples.Terms().TermsHash;

        await RaiseAsync(OfferingId, new SignOffDecision("member-contoso", "alice", true, null, hash));
        await RaiseAsync(OfferingId, new SignOffDecision("legal", "ivan", false, "liability cap missing", hash));
        var result = (await _host.Client.WaitForInstanceCompletionAsync(OfferingId, true)).ReadOutputAs<JointOfferingResult>()!;

        Assert.Equal(OfferingStage.Rejected, result.Stage);
        Assert.Contains("liability cap missing", result.Reason, StringComparison.Ordinal);
        Assert.Equal("offering.rejected", _ports.EventTypes(OfferingId)[^1]);
        Assert.Empty(_ports.Skus);
    }

    [Fact]
    public async Task Run_NoDecisions_RemindsAt50And80PercentEscalatesOnceThenExpires()
    {
        // A window of 4 s: reminders at 2 s and 3.2 s, the deadline at 4 s, then 2 s more after escalation.
        var window = TimeSpan.FromSeconds(4);
        await StartAsync(window);
        var firstDeadline = (await StatusAsync()).Deadline!.Value;

        await WaitForAsync(() => Task.FromResult(_ports.EventTypes(OfferingId).Contains("signoff.reminder")));
        await WaitForAsync(() => Task.FromResult(_ports.EventTypes(OfferingId).Count(t => t == "signoff.reminder") == 2));
        await WaitForAsync(async () => await ShownAsync() is { Escalated: true });
        var escalated = await StatusAsync();
        var result = (await _host.Client.WaitForInstanceCompletionAsync(OfferingId, true)).ReadOutputAs<JointOfferingResult>()!;

        Assert.Equal(firstDeadline + (window * 0.5), escalated.Deadline);
        Assert.Equal(
            ["signoff.reminder", "signoff.reminder", "signoff.escalated", "offering.expired"],
            _ports.EventTypes(OfferingId).Where(t => t is "signoff.reminder" or "signoff.escalated" or "offering.expired"));
        Assert.Equal(OfferingStage.Expired, result.Stage);
        Assert.Equal("offering.expired", _ports.EventTypes(OfferingId)[^1]);
    }

    [Fact]
    public async Task Run_DecisionsFromStrangersOrForOldTerms_AreIgnored()
    {
        await StartAsync();
        var hash = Examples.Terms().TermsHash;

        await RaiseAsync(OfferingId, new SignOffDecision("member-contoso", "mallory", false, "not mine", hash));
        await RaiseAsync(OfferingId, new SignOffDecision("member-contoso", "alice", false, "old terms", "v1:old"));
        await RaiseAsync(OfferingId, new SignOffDecision("no-such-gate", "alice", false, null, hash));

        var status = await StatusAsync();
        Assert.Equal(OfferingStage.AwaitingSignOffs, status.Stage);
        Assert.All(status.Gates, g => Assert.Equal("Pending", g.State));
        Assert.Equal(3, _ports.EventTypes(OfferingId).Count(t => t == "signoff.ignored"));
    }

    [Fact]
    public async Task Cancel_DuringSignOffs_EndsCancelledWithNothingToCompensate()
    {
        await StartAsync();

        await RaiseAsync(OfferingId, new CancelRequest("contoso", "alice", "partner left"), OfferingEvents.Cancel);
        var result = (await _host.Client.WaitForInstanceCompletionAsync(OfferingId, true)).ReadOutputAs<JointOfferingResult>()!;

        Assert.Equal(OfferingStage.Cancelled, result.Stage);
        Assert.Empty(_ports.Skus);
        Assert.Equal("offering.cancelled", _ports.EventTypes(OfferingId)[^1]);
    }

    [Fact]
    public async Task Cancel_RacingAcceptedSignOffs_RecordsEachAsIgnoredAndClosesTheRest()
    {
        // Arrange: two decisions accepted (claimed, as the sign-off command does) whose events never reach the
        // round before the cancel ends it: they arrive with it, after it, or are still in flight.
        await StartAsync();
        var gates = (await StatusAsync()).Gates;
        var hash = Examples.Terms().TermsHash;
        foreach (var gate in gates.Take(2))
        {
            Assert.True(await _ports.TryClaimDecisionAsync(OfferingId, OfferingId, gate.GateId, gate.Approvers[0], true, CancellationToken.None));
        }

        // Act
        await RaiseAsync(OfferingId, new CancelRequest("contoso", "alice", "partner left"), OfferingEvents.Cancel);
        await _host.Client.WaitForInstanceCompletionAsync(OfferingId, true);
        await _host.Client.RaiseEventAsync(OfferingId, OfferingEvents.SignOff, new SignOffDecision(gates[0].GateId, gates[0].Approvers[0], true, null, hash));
        await SettleAsync();

        // Assert: each accepted decision is on the audit trail before the cancellation; no gate can be claimed any more.
        var audit = _ports.Audit[OfferingId];
        Assert.Equal("offering.cancelled", audit[^1].Action);
        foreach (var gate in gates.Take(2))
        {
            Assert.Single(audit, a => a.Action == "signoff.ignored" && a.Actor == gate.Approvers[0] && a.Detail.Contains(gate.GateId, StringComparison.Ordinal));
        }

        Assert.Equal(2, audit.Count(a => a.Action == "signoff.ignored"));
        Assert.False(await _ports.TryClaimDecisionAsync(OfferingId, OfferingId, gates[^1].GateId, gates[^1].Approvers[0], true, CancellationToken.None));
    }

    [Fact]
    public async Task Run_SupportRoutingBrieflyUnreachable_RetriesAndLaunches()
    {
        await StartAsync();
        _ports.FailSupportAssignments = 3;

        await ApproveAllAsync(OfferingId);
        await WaitForAsync(async () => await ShownAsync() is { Stage: OfferingStage.Launched }, TimeSpan.FromSeconds(30));

        Assert.Equal(OfferingStage.Launched, (await StatusAsync()).Stage);
        Assert.Equal(0, _ports.FailSupportAssignments);
        Assert.Equal(3, _ports.Support[OfferingId].Count);
        Assert.Equal("offering.launched", _ports.EventTypes(OfferingId)[^1]);
    }

    [Fact]
    public async Task Run_SupportRoutingRefusesWithADefect_FailsWithoutRetrying()
    {
        await StartAsync();
        _ports.FailSupportAssignments = 3;
        _ports.SupportFailure = new InvalidOperationException("unknown support tier");

        await ApproveAllAsync(OfferingId);
        var result = await _host.Client.WaitForInstanceCompletionAsync(OfferingId, true);

        Assert.Equal(OrchestrationRuntimeStatus.Failed, result.RuntimeStatus);
        Assert.Equal(2, _ports.FailSupportAssignments);
    }

    [Fact]
    public async Task Cancel_AfterApprovalBeforeLaunch_RetiresTheDraftSku()
    {
        await StartAsync();
        _ports.HoldSkuClaims = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gates = (await StatusAsync()).Gates;
        foreach (var gate in gates.SkipLast(1))
        {
            await RaiseAsync(OfferingId, new SignOffDecision(gate.GateId, gate.Approvers[0], true, null, Examples.Terms().TermsHash));
        }

        // The last approval starts the SKU step; the cancel arrives while it is in flight.
        await _host.Client.RaiseEventAsync(OfferingId, OfferingEvents.SignOff, new SignOffDecision(gates[^1].GateId, gates[^1].Approvers[0], true, null, Examples.Terms().TermsHash));
        await _ports.SkuClaimStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await _host.Client.RaiseEventAsync(OfferingId, OfferingEvents.Cancel, new CancelRequest("contoso", "alice", "changed our mind"));
        _ports.HoldSkuClaims.SetResult();
        var result = (await _host.Client.WaitForInstanceCompletionAsync(OfferingId, true)).ReadOutputAs<JointOfferingResult>()!;

        Assert.Equal(OfferingStage.Cancelled, result.Stage);
        Assert.True(Assert.Single(_ports.Skus).Value.Retired);
        Assert.Empty(_ports.Support);
        Assert.DoesNotContain("offering.launched", _ports.EventTypes(OfferingId));
    }

    [Fact]
    public async Task Amend_AfterLaunch_NewRoundSignsNewTermsWhileOldStayInForce()
    {
        await StartAsync();
        await ApproveAllAsync(OfferingId);
        var amended = Examples.Terms() with { Pricing = new Pricing(1599m, "EUR", BillingTerm.Monthly) };

        await RaiseAsync(OfferingId, new AmendRequest("contoso", "alice", amended), OfferingEvents.Amend);
        var roundId = $"{OfferingId}~amendment-1";
        var during = await StatusAsync();
        Assert.Equal(Examples.Terms().TermsHash, _ports.Offerings[OfferingId].Terms.TermsHash);
        await ApproveAllAsync(roundId, amended.TermsHash);

        var after = await StatusAsync();
        Assert.Equal(OfferingStage.Amending, during.Stage);
        Assert.Equal(OfferingStage.Launched, after.Stage);
        Assert.Equal(amended.TermsHash, after.TermsHash);
        Assert.Equal("offering.amended", _ports.EventTypes(OfferingId)[^1]);
        Assert.Equal(amended.TermsHash, _ports.Offerings[OfferingId].Terms.TermsHash);
        Assert.Equal(nameof(OfferingStage.Launched), _ports.Offerings[OfferingId].Stage);
    }

    [Fact]
    public async Task Amend_SameAmendmentRaisedTwice_OneRoundAndTheSecondIgnoredOnceInForce()
    {
        await StartAsync();
        await ApproveAllAsync(OfferingId);
        var amended = Examples.Terms() with { Pricing = new Pricing(1599m, "EUR", BillingTerm.Monthly) };

        // A retried request: both raises passed the API's check before the first was applied.
        await RaiseAsync(OfferingId, new AmendRequest("contoso", "alice", amended), OfferingEvents.Amend);
        await _host.Client.RaiseEventAsync(OfferingId, OfferingEvents.Amend, new AmendRequest("contoso", "alice", amended));
        await ApproveAllAsync($"{OfferingId}~amendment-1", amended.TermsHash);

        // The round's end, the continue-as-new and the ignored second request run after the last sign-off.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await StatusAsync() is var status && (status.Stage != OfferingStage.Launched || status.TermsHash != amended.TermsHash) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        await SettleAsync();
        var after = await StatusAsync();
        Assert.Equal(OfferingStage.Launched, after.Stage);
        Assert.Equal(amended.TermsHash, after.TermsHash);
        Assert.Null(await _host.Client.GetInstanceAsync($"{OfferingId}~amendment-2"));
        Assert.Single(_ports.EventTypes(OfferingId), "offering.amended");
    }

    [Fact]
    public async Task Retire_AfterLaunch_RetiresSkuAndEndsSupport()
    {
        await StartAsync();
        await ApproveAllAsync(OfferingId);

        await RaiseAsync(OfferingId, new RetireRequest("contoso", "alice", "end of life"), OfferingEvents.Retire);
        var result = (await _host.Client.WaitForInstanceCompletionAsync(OfferingId, true)).ReadOutputAs<JointOfferingResult>()!;

        Assert.Equal(OfferingStage.Retired, result.Stage);
        Assert.True(Assert.Single(_ports.Skus).Value.Retired);
        Assert.Empty(_ports.Support);
        Assert.Equal("offering.retired", _ports.EventTypes(OfferingId)[^1]);
    }

    private static JointOfferingInput Input(TimeSpan? window = null) => new(OfferingId, "contoso", "alice", Examples.Terms(), window ?? Window);

    private static async Task<DurableTaskTestHost> StartHostAsync(InMemoryPorts ports)
    {
        foreach (var partner in Examples.Partners().Values)
        {
            ports.Partners[partner.PartnerId] = partner;
        }

        return await DurableTaskTestHost.StartAsync(r => r.AddJointOffering(), new DurableTaskTestHostOptions
        {
            // Left unset, the host takes a random port in 30000-40000 without checking it: inside Linux's ephemeral
            // range, where another process's outgoing connection may hold it (a CI run failed on exactly that). A port
            // the system gives to a listener on port 0 comes from that range too.
            Port = StablePort.Pick(),
            ConfigureServices = services =>
            {
                services.AddSingleton<DataConverter>(WorkflowJson.Converter);
                services.AddSingleton(TimeProvider.System);
                services.AddSingleton<IPartnerDirectory>(ports);
                services.AddSingleton<IOfferingStore>(ports);
                services.AddSingleton<ICatalog>(ports);
                services.AddSingleton<ISupportRouting>(ports);
                services.AddSingleton<IArtifactStore>(ports);
                services.AddSingleton<IEventPublisher>(ports);
            },
        });
    }

    /// <summary>Starts the offering and waits until its round asks for sign-offs (or it has ended).</summary>
    private async Task StartAsync(TimeSpan? window = null)
    {
        await _host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(JointOfferingOrchestrator), Input(window), new StartOrchestrationOptions { InstanceId = OfferingId });
        await WaitForAsync(async () => !await FailedAsync() && await _host.Client.GetInstanceAsync(OfferingId, true) is { } i
            && (i.IsCompleted || i.ReadCustomStatusAs<OfferingStatus>() is { Stage: OfferingStage.AwaitingSignOffs }));
    }

    private async Task<OfferingStatus> StatusAsync(string instanceId = OfferingId) =>
        (await _host.Client.GetInstanceAsync(instanceId, true))!.ReadCustomStatusAs<OfferingStatus>()!;

    /// <summary>The status the orchestration shows, or null before its first episode has published one (a wait may poll that early).</summary>
    private async Task<OfferingStatus?> ShownAsync() =>
        (await _host.Client.GetInstanceAsync(OfferingId, true))?.ReadCustomStatusAs<OfferingStatus>();

    /// <summary>Raises an event, then waits until the offering's audit trail has recorded it and the workflow is quiet.</summary>
    private async Task RaiseAsync(string instanceId, object payload, string eventName = OfferingEvents.SignOff)
    {
        var before = _ports.EventTypes(OfferingId).Count;
        await _host.Client.RaiseEventAsync(instanceId, eventName, payload);
        await WaitForAsync(async () => _ports.EventTypes(OfferingId).Count > before || await FailedAsync());
        await SettleAsync();
    }

    /// <summary>False while the offering has not failed; a failure ends the wait at once with its reason.</summary>
    private async Task<bool> FailedAsync() =>
        await _host.Client.GetInstanceAsync(OfferingId, true) is { RuntimeStatus: OrchestrationRuntimeStatus.Failed } failed
            ? throw new InvalidOperationException($"{OfferingId} failed: {failed.FailureDetails?.ErrorMessage}")
            : false;

    /// <summary>Approves every pending gate of the round, then waits until the offering runs on the approved terms (or ended).</summary>
    private async Task ApproveAllAsync(string instanceId, string? termsHash = null)
    {
        var hash = termsHash ?? Examples.Terms().TermsHash;
        foreach (var gate in (await StatusAsync(instanceId)).Gates.Where(g => g.State == "Pending"))
        {
            await RaiseAsync(instanceId, new SignOffDecision(gate.GateId, gate.Approvers[0], true, "ok", hash));
        }

        await WaitForAsync(
            async () => await _host.Client.GetInstanceAsync(OfferingId, true) is { } offering
                && (offering.IsCompleted || offering.ReadCustomStatusAs<OfferingStatus>() is { Stage: OfferingStage.Launched } status && status.TermsHash == hash),
            TimeSpan.FromSeconds(30));
        await SettleAsync();
    }

    /// <summary>Waits until the offering's audit trail and status have not changed for a while (no fake clock to drain).</summary>
    private async Task SettleAsync()
    {
        var last = "";
        var quietSince = DateTime.UtcNow;
        await WaitForAsync(
            async () =>
            {
                var instance = await _host.Client.GetInstanceAsync(OfferingId, true);
                var now = $"{_ports.EventTypes(OfferingId).Count}|{instance?.RuntimeStatus}|{instance?.SerializedCustomStatus}";
                if (now != last)
                {
                    last = now;
                    quietSince = DateTime.UtcNow;
                }

                return DateTime.UtcNow - quietSince >= Quiet;
            },
            TimeSpan.FromSeconds(30));
    }

    /// <summary>
    /// Polls <paramref name="condition"/> until it holds. A poll the test host's gRPC transport drops (Unavailable: a CI
    /// run under load had one connection reset by the in-process server mid-test) is polled again; the workflow under
    /// test does not use that transport, and the condition must still hold within the timeout.
    /// </summary>
    private static async Task WaitForAsync(Func<Task<bool>> condition, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(15));
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Unavailable && !cts.IsCancellationRequested)
            {
                // Polled again below.
            }

            await Task.Delay(25, cts.Token);
        }
    }
}
