using EcosystemFlows.Durable.Engine;
using EcosystemFlows.Durable.History;
using EcosystemFlows.Durable.Tests.Samples;
using Microsoft.Extensions.DependencyInjection;

namespace EcosystemFlows.Durable.Tests.Replay;

/// <summary>
/// Replays committed histories (Replay/Histories/*.json) against the current orchestrator code. To re-record
/// after an intentional, versioned change: <c>DURABLE_RECORD_HISTORIES=1 dotnet test --filter RecordedHistories</c>.
/// </summary>
public sealed class ReplayTests
{
    private static readonly string HistoriesDirectory = Path.Combine(AppContext.BaseDirectory, "Replay", "Histories");

    public static TheoryData<string> RecordedFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(HistoriesDirectory, "*.json").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(RecordedFiles))]
    public void Verify_RecordedHistory_ReplaysWithoutNonDeterminism(string file)
    {
        var recording = RecordedHistory.FromJson(File.ReadAllText(Path.Combine(HistoriesDirectory, file)));

        OrchestrationReplayer.Verify(CreateOrchestrator(recording.Orchestrator, new CodeVersionSwitch()), recording);
    }

    [Fact]
    public void Verify_ActivityRenamedInHistory_ThrowsNamingExpectedAndActual()
    {
        var recording = Load("HelloSequenceOrchestrator.completed.json");
        var tampered = recording with
        {
            History = [.. recording.History.Select(e => e is TaskScheduledEvent { EventId: 1 } s ? s with { Name = "SendInvoice" } : e)],
        };

        var ex = Assert.Throws<NonDeterministicOrchestrationException>(
            () => OrchestrationReplayer.Verify(CreateOrchestrator(tampered.Orchestrator, new CodeVersionSwitch()), tampered));

        Assert.Contains("history has TaskScheduled 'SendInvoice' as task #1", ex.Message, StringComparison.Ordinal);
        Assert.Contains("now emits TaskScheduled 'SayHello' (task #1)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_CodeChangedSinceRecording_Throws()
    {
        var recording = Load("EvolvingOrchestrator.waiting.json");

        Assert.Throws<NonDeterministicOrchestrationException>(
            () => OrchestrationReplayer.Verify(CreateOrchestrator(recording.Orchestrator, new CodeVersionSwitch { UseNewCode = true }), recording));
    }

    [Fact]
    public void Verify_OutputChangedSinceRecording_Throws()
    {
        var recording = Load("HelloSequenceOrchestrator.completed.json");
        var tampered = recording with
        {
            History = [.. recording.History.Select(e => e is ExecutionCompletedEvent c ? c with { Result = "[]" } : e)],
        };

        Assert.Throws<NonDeterministicOrchestrationException>(
            () => OrchestrationReplayer.Verify(CreateOrchestrator(tampered.Orchestrator, new CodeVersionSwitch()), tampered));
    }

    [Fact]
    public async Task RecordedHistories_EveryScenario_HasACommittedRecording()
    {
        var recordings = await RecordAsync();
        var target = Environment.GetEnvironmentVariable("DURABLE_RECORD_HISTORIES") == "1" ? SourceHistoriesDirectory() : null;
        if (target is not null)
        {
            foreach (var (file, recording) in recordings)
            {
                await File.WriteAllTextAsync(Path.Combine(target, file), recording.ToJson() + "\n");
            }
        }

        var committed = Directory.EnumerateFiles(target ?? HistoriesDirectory, "*.json").Select(Path.GetFileName).ToHashSet();
        Assert.All(recordings.Keys, file => Assert.Contains(file, committed));
        Assert.All(recordings.Values, r => OrchestrationReplayer.Verify(CreateOrchestrator(r.Orchestrator, new CodeVersionSwitch()), r));
    }

    private static RecordedHistory Load(string file) => RecordedHistory.FromJson(File.ReadAllText(Path.Combine(HistoriesDirectory, file)));

    private static ITaskOrchestrator CreateOrchestrator(string name, CodeVersionSwitch codeVersion)
    {
        var registry = new DurableTaskRegistry();
        SampleRegistration.RegisterAll(registry);
        Assert.True(registry.TryGetOrchestrator(name, out var type), $"orchestrator {name} is not registered");
        using var services = new ServiceCollection().AddSingleton(codeVersion).BuildServiceProvider();
        return (ITaskOrchestrator)ActivatorUtilities.CreateInstance(services, type);
    }

    private static async Task<Dictionary<string, RecordedHistory>> RecordAsync()
    {
        (string File, string Orchestrator, object? Input)[] scenarios =
        [
            ("HelloSequenceOrchestrator.completed.json", nameof(HelloSequenceOrchestrator), "Berlin"),
            ("FanOutOrchestrator.completed.json", nameof(FanOutOrchestrator), 4),
            ("ApprovalOrchestrator.approved.json", nameof(ApprovalOrchestrator), "offer-a"),
            ("ApprovalOrchestrator.timedout.json", nameof(ApprovalOrchestrator), "offer-b"),
            ("RaceOrchestrator.event.json", nameof(RaceOrchestrator), null),
            ("RetryOrchestrator.failed.json", nameof(RetryOrchestrator), 3),
            ("ParentOrchestrator.childfailed.json", nameof(ParentOrchestrator), new ParentInput("fail", "rec-child")),
            ("DeterministicValuesOrchestrator.completed.json", nameof(DeterministicValuesOrchestrator), null),
            ("EvolvingOrchestrator.waiting.json", nameof(EvolvingOrchestrator), null),
        ];
        await using var host = await TestHosts.StartAsync(o => o.ConfigureRuntime = r => r.DefaultVersion = "1.0");
        foreach (var (file, orchestrator, input) in scenarios)
        {
            await host.Client.ScheduleNewOrchestrationInstanceAsync(orchestrator, input, new StartOrchestrationOptions { InstanceId = InstanceIdFor(file) });
        }

        await host.WaitForIdleAsync();
        await host.Client.RaiseEventAsync(InstanceIdFor("ApprovalOrchestrator.approved.json"), "Approval", "carol");
        await host.Client.RaiseEventAsync(InstanceIdFor("RaceOrchestrator.event.json"), "Signal", 3);
        await host.AdvanceTimeAsync(TimeSpan.FromDays(31));

        var recordings = new Dictionary<string, RecordedHistory>();
        foreach (var (file, orchestrator, _) in scenarios)
        {
            recordings[file] = new RecordedHistory(orchestrator, InstanceIdFor(file), await host.Client.GetOrchestrationHistoryAsync(InstanceIdFor(file)));
        }

        return recordings;
    }

    private static string InstanceIdFor(string file) => "rec-" + Path.GetFileNameWithoutExtension(file);

    private static string SourceHistoriesDirectory()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "EcosystemFlows.Durable.Tests.csproj")))
        {
            directory = directory.Parent;
        }

        return Path.Combine(directory?.FullName ?? throw new DirectoryNotFoundException("test project directory"), "Replay", "Histories");
    }
}
