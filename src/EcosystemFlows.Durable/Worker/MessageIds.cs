namespace EcosystemFlows.Durable.Worker;

/// <summary>
/// Deterministic ids of runtime-produced messages: re-sending an outbox after a crash reproduces the
/// same ids, so the receiving instance recognises the duplicates.
/// </summary>
internal static class MessageIds
{
    public static string ForTask(string instanceId, string executionId, int taskId, string kind) =>
        $"{instanceId}|{executionId}|{taskId}|{kind}";

    public static string ForExecution(string instanceId, string executionId, string kind) =>
        $"{instanceId}|{executionId}|{kind}";
}
