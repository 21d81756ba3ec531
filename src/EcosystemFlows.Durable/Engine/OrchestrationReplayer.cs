using System.Text.Json;
using EcosystemFlows.Durable.History;
using Microsoft.Extensions.Logging.Abstractions;

namespace EcosystemFlows.Durable.Engine;

/// <summary>A recorded run: which orchestrator, which instance, and its history (the replay-test file format).</summary>
/// <param name="Orchestrator">Registered orchestrator name.</param>
/// <param name="InstanceId">Instance id of the recorded run.</param>
/// <param name="History">History of the recorded execution.</param>
public sealed record RecordedHistory(string Orchestrator, string InstanceId, IReadOnlyList<HistoryEvent> History)
{
    /// <summary>Serializes the recording as indented JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, FileOptions);

    // Relaxed escaping keeps recorded payloads readable in reviews; the files are never embedded in HTML.
    private static readonly JsonSerializerOptions FileOptions = new(DurableJson.Options)
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Reads a recording written by <see cref="ToJson"/>.</summary>
    public static RecordedHistory FromJson(string json) =>
        JsonSerializer.Deserialize<RecordedHistory>(json, DurableJson.Options) ?? throw new JsonException("Empty recorded history.");
}

/// <summary>
/// Replays recorded histories against the current orchestrator code, so a change that would break
/// running instances fails a test instead of production.
/// </summary>
public static class OrchestrationReplayer
{
    /// <summary>
    /// Replays <paramref name="recording"/> through <paramref name="orchestrator"/>. Throws when the code
    /// emits different actions than recorded, or ends differently than the recorded execution did.
    /// </summary>
    /// <exception cref="NonDeterministicOrchestrationException">The code no longer matches the history.</exception>
    public static void Verify(ITaskOrchestrator orchestrator, RecordedHistory recording, DataConverter? converter = null)
    {
        ArgumentNullException.ThrowIfNull(recording);
        var started = recording.History.OfType<ExecutionStartedEvent>().FirstOrDefault()
            ?? throw new ArgumentException("The history has no ExecutionStarted event.", nameof(recording));
        var result = OrchestrationExecutor.Execute(
            orchestrator, recording.InstanceId, recording.History, [], null, converter ?? JsonDataConverter.Default, NullLoggerFactory.Instance, started.Version);
        if (result.Completion is { FailureDetails.ErrorType: var type } failed && type == typeof(NonDeterministicOrchestrationException).FullName)
        {
            throw new NonDeterministicOrchestrationException(failed.FailureDetails!.ErrorMessage);
        }

        var recorded = recording.History.OfType<ExecutionCompletedEvent>().FirstOrDefault();
        if (recorded is { Status: OrchestrationRuntimeStatus.Completed or OrchestrationRuntimeStatus.Failed } &&
            (result.Completion?.Status != recorded.Status || result.Completion.Output != recorded.Result))
        {
            throw new NonDeterministicOrchestrationException(
                $"Replaying '{recording.Orchestrator}' (instance '{recording.InstanceId}') ended as {result.Completion?.Status.ToString() ?? "still running"} " +
                $"with output {result.Completion?.Output ?? "null"}, but the recorded execution ended as {recorded.Status} with output {recorded.Result ?? "null"}.");
        }
    }
}
