using System.Collections.Concurrent;
using System.Net;
using EcosystemFlows.Api.Offerings;
using EcosystemFlows.Workflows.JointOffering;
using EcosystemFlows.Workflows.Security;

namespace EcosystemFlows.Bench.Faults;

/// <summary>What the suite does with one offering.</summary>
internal enum Plan
{
    /// <summary>Every gate approved: launched.</summary>
    Launch,

    /// <summary>One gate rejected: rejected, no SKU.</summary>
    Reject,

    /// <summary>Cancelled while gates are pending: cancelled, no SKU.</summary>
    Cancel,

    /// <summary>Two approvers of one gate race (one approves, one rejects): exactly one decision counts.</summary>
    RaceApprovers,

    /// <summary>The last approval and a cancel race: cancelled (SKU retired if created) or launched.</summary>
    RaceCancelLaunch,

    /// <summary>Launched, then amended (every gate signs the new terms): launched on the new terms.</summary>
    Amend,

    /// <summary>Launched, then retired: SKU retired, support ended.</summary>
    Retire,
}

/// <summary>One offering of the run: its plan and what the suite saw while driving it.</summary>
internal sealed class OfferingRun(int index, string offeringId, Plan plan, bool viaServiceBus)
{
    public int Index => index;

    public string OfferingId => offeringId;

    public Plan Plan => plan;

    /// <summary>Started over Service Bus (else HTTP).</summary>
    public bool StartedViaServiceBus => viaServiceBus;

    /// <summary>Terms hash of the amendment, when the plan amends.</summary>
    public string? AmendedTermsHash { get; set; }

    /// <summary>HTTP answers of the racing commands, by who sent them (approvers, or "cancel"/"approve").</summary>
    public ConcurrentDictionary<string, Answer> RaceAnswers { get; } = new(StringComparer.Ordinal);

    /// <summary>Service Bus commands sent for this offering: message id → what it asked.</summary>
    public ConcurrentDictionary<string, OfferingCommandMessage> Commands { get; } = new(StringComparer.Ordinal);

    /// <summary>HTTP commands answered with a refusal the plan did not expect (first attempt, not a race).</summary>
    public ConcurrentBag<string> UnexpectedRefusals { get; } = [];

    /// <summary>The driver gave up waiting for a stage (reported; the invariants judge the end state).</summary>
    public string? GaveUp { get; set; }

    public bool Finished { get; set; }
}

/// <summary>
/// Drives offerings concurrently: each is started (HTTP or Service Bus), its gates signed (each over HTTP or
/// Service Bus), then rejected, cancelled, raced, amended or retired as its plan says. Every random choice
/// comes from a generator seeded per offering, so a run is reproducible up to timing.
/// </summary>
internal sealed class Workload(Api api, string run, int seed, DateOnly today, TimeSpan stageBound)
{
    private static readonly Plan[] Mix =
    [
        Plan.Launch, Plan.Launch, Plan.Launch, Plan.Launch, Plan.Launch, Plan.Launch, Plan.Launch,
        Plan.Reject, Plan.Reject, Plan.Reject,
        Plan.Cancel, Plan.Cancel, Plan.Cancel,
        Plan.RaceApprovers, Plan.RaceApprovers,
        Plan.RaceCancelLaunch, Plan.RaceCancelLaunch,
        Plan.Amend, Plan.Amend,
        Plan.Retire,
    ];

    /// <summary>Offerings finished (driven to the end of their plan or given up on).</summary>
    public int Finished => _finished;

    private int _finished;

    public OfferingRun Create(int index)
    {
        var random = new Random(HashCode.Combine(seed, index));
        var viaServiceBus = random.Next(2) == 0;
        return new OfferingRun(index, OfferingCommands.OfferingIdFor(Scenario.Lead, Key(index)), Mix[random.Next(Mix.Length)], viaServiceBus);
    }

    /// <summary>Runs <paramref name="offerings"/> with at most <paramref name="concurrency"/> in flight.</summary>
    public async Task RunAsync(IReadOnlyList<OfferingRun> offerings, int concurrency)
    {
        using var slots = new SemaphoreSlim(concurrency);
        await Task.WhenAll(offerings.Select(async offering =>
        {
            await slots.WaitAsync();
            try
            {
                await DriveAsync(offering);
            }
            finally
            {
                offering.Finished = true;
                Interlocked.Increment(ref _finished);
                slots.Release();
            }
        }));
    }

    private string Key(int index) => $"faults-{run}-{index}";

    private async Task DriveAsync(OfferingRun offering)
    {
        var random = new Random(HashCode.Combine(seed, offering.Index, 7));
        var terms = Scenario.Terms(run, offering.Index, today);
        if (offering.StartedViaServiceBus)
        {
            await SendAsync(offering, "start", new OfferingCommandMessage
            {
                Command = OfferingCommandType.StartJointOffering,
                Actor = new CommandActor("alice", Scenario.Lead, [Roles.Partner]),
                IdempotencyKey = Key(offering.Index),
                Terms = terms,
                SignOffWindowDays = 30,
            });
        }
        else
        {
            var started = await api.SendAsync("alice", HttpMethod.Post, "/api/offerings", new StartOfferingRequest(terms, 30), Key(offering.Index));
            if (!started.Accepted)
            {
                offering.GaveUp = $"start answered {(int)started.Status}: {started.Body}";
                return;
            }
        }

        var awaiting = await WaitForAsync(offering, v => v.Stage == OfferingStage.AwaitingSignOffs || v.Stage > OfferingStage.Launched, "AwaitingSignOffs");
        if (awaiting is not { Stage: OfferingStage.AwaitingSignOffs })
        {
            return;
        }

        var gates = awaiting.Gates.Select(g => g.GateId).OrderBy(g => g, StringComparer.Ordinal).ToList();
        var hash = awaiting.TermsHash;
        switch (offering.Plan)
        {
            case Plan.Launch:
            case Plan.Amend:
            case Plan.Retire:
                await SignAllAsync(offering, awaiting, gates, hash, random);
                break;
            case Plan.Reject:
                var rejected = gates[random.Next(gates.Count)];
                await SignAllAsync(offering, awaiting, [.. gates.Where(g => g != rejected).Take(random.Next(gates.Count))], hash, random);
                await SignAsync(offering, awaiting, rejected, hash, approve: false, random);
                break;
            case Plan.Cancel:
                await SignAllAsync(offering, awaiting, [.. gates.Take(random.Next(gates.Count))], hash, random);
                await CancelAsync(offering, random);
                break;
            case Plan.RaceApprovers:
                await SignAllAsync(offering, awaiting, [.. gates.Where(g => g != "member-fabrikam")], hash, random);
                await Task.WhenAll(
                    RaceAsync(offering, "dan", $"/api/offerings/{offering.OfferingId}/signoffs/member-fabrikam", new SignOffRequest(true, "race: approve", hash)),
                    RaceAsync(offering, Scenario.RivalApprover, $"/api/offerings/{offering.OfferingId}/signoffs/member-fabrikam", new SignOffRequest(false, "race: reject", hash)));
                break;
            case Plan.RaceCancelLaunch:
                var last = gates[^1];
                await SignAllAsync(offering, awaiting, gates[..^1], hash, random);
                var approver = awaiting.Gates.Single(g => g.GateId == last).Approvers[0];
                await Task.WhenAll(
                    RaceAsync(offering, "approve", $"/api/offerings/{offering.OfferingId}/signoffs/{last}", new SignOffRequest(true, "race: last approval", hash), approver),
                    RaceAsync(offering, "cancel", $"/api/offerings/{offering.OfferingId}/cancel", new ReasonRequest("race: cancel"), "alice"));
                break;
        }

        var end = await WaitForAsync(offering, v => v.Stage >= OfferingStage.Launched && v.Stage != OfferingStage.Amending, "an end stage");
        if (end is null || end.Stage != OfferingStage.Launched)
        {
            return;
        }

        if (offering.Plan == Plan.Retire)
        {
            await CommandAsync(offering, "alice", $"/api/offerings/{offering.OfferingId}/retire", new ReasonRequest("end of life"));
            await WaitForAsync(offering, v => v.Stage == OfferingStage.Retired, "Retired");
        }
        else if (offering.Plan == Plan.Amend)
        {
            await AmendAsync(offering, random);
        }
    }

    private async Task AmendAsync(OfferingRun offering, Random random)
    {
        var amended = Scenario.Terms(run, offering.Index, today, price: 1599m);
        offering.AmendedTermsHash = amended.TermsHash;
        await CommandAsync(offering, "alice", $"/api/offerings/{offering.OfferingId}/amendments", new AmendmentRequest(amended));
        var amending = await WaitForAsync(offering, v => v.Stage == OfferingStage.Amending || v.TermsHash == amended.TermsHash, "Amending");
        if (amending is null)
        {
            return;
        }

        // The amendment round asks the same gates (no conflict review); it may not have started yet: 404 until then.
        string[] gates = ["legal", "member-contoso", "member-fabrikam", "member-northwind", "sponsor"];
        string[] approvers = ["ivan", "alice", "dan", "grace", "carol"];
        for (var i = 0; i < gates.Length; i++)
        {
            var path = $"/api/offerings/{offering.OfferingId}/signoffs/{gates[i]}";
            var deadline = DateTime.UtcNow + stageBound;
            while (true)
            {
                var answer = await api.SendAsync(approvers[i], HttpMethod.Post, path, new SignOffRequest(true, "amendment ok", amended.TermsHash));
                if (answer.Accepted || (answer.Status == HttpStatusCode.Conflict && answer.Retried) || DateTime.UtcNow > deadline)
                {
                    break;
                }

                if (answer.Status != HttpStatusCode.NotFound && answer.Status != HttpStatusCode.Conflict)
                {
                    offering.UnexpectedRefusals.Add($"amendment sign-off {gates[i]}: {(int)answer.Status} {answer.Body}");
                    break;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(500));
            }
        }

        await WaitForAsync(offering, v => v.Stage == OfferingStage.Launched && v.TermsHash == amended.TermsHash, "Launched on the amended terms");
    }

    private async Task SignAllAsync(OfferingRun offering, OfferingView awaiting, IReadOnlyList<string> gates, string hash, Random random)
    {
        foreach (var gate in gates)
        {
            await SignAsync(offering, awaiting, gate, hash, approve: true, random);
        }
    }

    private async Task SignAsync(OfferingRun offering, OfferingView awaiting, string gateId, string hash, bool approve, Random random)
    {
        var approver = awaiting.Gates.Single(g => g.GateId == gateId).Approvers[0];
        if (random.Next(2) == 0)
        {
            await SendAsync(offering, $"signoff-{gateId}", new OfferingCommandMessage
            {
                Command = OfferingCommandType.RecordSignOff,
                Actor = new CommandActor(approver, null, [Roles.Approver]),
                OfferingId = offering.OfferingId,
                GateId = gateId,
                Approve = approve,
                Comment = approve ? "ok" : "terms not acceptable",
                TermsHash = hash,
            });
            return;
        }

        await CommandAsync(offering, approver, $"/api/offerings/{offering.OfferingId}/signoffs/{gateId}", new SignOffRequest(approve, approve ? "ok" : "terms not acceptable", hash));
    }

    private async Task CancelAsync(OfferingRun offering, Random random)
    {
        if (random.Next(2) == 0)
        {
            await SendAsync(offering, "cancel", new OfferingCommandMessage
            {
                Command = OfferingCommandType.CancelOffering,
                Actor = new CommandActor("alice", Scenario.Lead, [Roles.Partner]),
                OfferingId = offering.OfferingId,
                Reason = "withdrawn",
            });
            return;
        }

        await CommandAsync(offering, "alice", $"/api/offerings/{offering.OfferingId}/cancel", new ReasonRequest("withdrawn"));
    }

    /// <summary>An HTTP command the plan expects to be accepted; a 409 after a retry means the first attempt got through.</summary>
    private async Task CommandAsync(OfferingRun offering, string user, string path, object body)
    {
        var answer = await api.SendAsync(user, HttpMethod.Post, path, body);
        if (!answer.Accepted && !(answer.Retried && answer.Status == HttpStatusCode.Conflict))
        {
            offering.UnexpectedRefusals.Add($"POST {path} as {user}: {(int)answer.Status} {answer.Body}");
        }
    }

    private async Task RaceAsync(OfferingRun offering, string name, string path, object body, string? user = null) =>
        offering.RaceAnswers[name] = await api.SendAsync(user ?? name, HttpMethod.Post, path, body);

    private async Task SendAsync(OfferingRun offering, string what, OfferingCommandMessage command)
    {
        var messageId = $"{offering.OfferingId}-{what}";
        offering.Commands[messageId] = command;
        await api.SendCommandAsync(command, messageId);
    }

    private async Task<OfferingView?> WaitForAsync(OfferingRun offering, Func<OfferingView, bool> reached, string what)
    {
        var deadline = DateTime.UtcNow + stageBound;
        OfferingView? view = null;
        while (DateTime.UtcNow < deadline)
        {
            view = await api.GetAsync(offering.OfferingId);
            if (view is not null && reached(view))
            {
                return view;
            }

            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        offering.GaveUp = $"did not reach {what} within {stageBound} (last: {view?.Stage.ToString() ?? "not found"})";
        return null;
    }
}
