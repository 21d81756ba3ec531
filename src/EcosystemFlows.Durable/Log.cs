using Microsoft.Extensions.Logging;

namespace EcosystemFlows.Durable;

/// <summary>Source-generated log messages of the durable runtime; event ids are fixed (1xxx worker, 2xxx client).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Debug, Message = "Orchestration {InstanceId} ({Name}) committed episode for message {MessageId}: status {Status}, {ActionCount} new actions")]
    public static partial void EpisodeCommitted(ILogger logger, string instanceId, string name, string messageId, OrchestrationRuntimeStatus status, int actionCount);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Debug, Message = "Orchestration {InstanceId}: ETag conflict on attempt {Attempt}, reloading")]
    public static partial void CommitConflict(ILogger logger, string instanceId, int attempt);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Debug, Message = "Orchestration {InstanceId}: message {MessageId} ignored ({Reason})")]
    public static partial void MessageIgnored(ILogger logger, string instanceId, string messageId, string reason);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Information, Message = "Orchestration {InstanceId} ({Name}) finished as {Status}")]
    public static partial void OrchestrationFinished(ILogger logger, string instanceId, string name, OrchestrationRuntimeStatus status);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "Orchestration {InstanceId} ({Name}) is non-deterministic: {Detail}")]
    public static partial void NonDeterminism(ILogger logger, string instanceId, string name, string detail);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Debug, Message = "Orchestration {InstanceId}: re-sent {Count} unresolved outbox messages of the last commit (its sender may have died)")]
    public static partial void OutboxRecovered(ILogger logger, string instanceId, int count);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Debug, Message = "Activity {Name} (task {TaskId}) of {InstanceId} finished: {Outcome}")]
    public static partial void ActivityFinished(ILogger logger, string name, int taskId, string instanceId, string outcome);

    [LoggerMessage(EventId = 1020, Level = LogLevel.Warning, Message = "Processing message {MessageId} for {InstanceId} failed (dequeue count {DequeueCount}); abandoning")]
    public static partial void MessageFailed(ILogger logger, Exception exception, string messageId, string instanceId, int dequeueCount);

    [LoggerMessage(EventId = 1021, Level = LogLevel.Error, Message = "Message {MessageId} for {InstanceId} moved to poison: {Reason}")]
    public static partial void MessagePoisoned(ILogger logger, string messageId, string instanceId, string reason);

    [LoggerMessage(EventId = 1022, Level = LogLevel.Warning, Message = "Settling message {MessageId} for {InstanceId} failed; it comes back when its lease expires")]
    public static partial void CompleteFailed(ILogger logger, Exception exception, string messageId, string instanceId);

    [LoggerMessage(EventId = 1023, Level = LogLevel.Warning, Message = "Lease of message {MessageId} for {InstanceId} was lost before it was settled (expired and received again, or settled elsewhere)")]
    public static partial void LeaseLost(ILogger logger, string messageId, string instanceId);

    [LoggerMessage(EventId = 1024, Level = LogLevel.Warning, Message = "Renewing the lease of message {MessageId} for {InstanceId} failed; retrying at the next renewal")]
    public static partial void LeaseRenewalFailed(ILogger logger, Exception exception, string messageId, string instanceId);

    [LoggerMessage(EventId = 1025, Level = LogLevel.Error, Message = "Message {MessageId} for {InstanceId} held unsettled for {HeldFor}: its lease is no longer renewed and expires")]
    public static partial void LeaseRenewalCapped(ILogger logger, string messageId, string instanceId, TimeSpan heldFor);

    [LoggerMessage(EventId = 1026, Level = LogLevel.Warning, Message = "Re-sending the outbox of {InstanceId} after a failed send failed again; retrying in {Delay}")]
    public static partial void OutboxResendFailed(ILogger logger, Exception exception, string instanceId, TimeSpan delay);

    [LoggerMessage(EventId = 1027, Level = LogLevel.Warning, Message = "Moving message {MessageId} for {InstanceId} to poison failed; it comes back and is moved on a later delivery")]
    public static partial void PoisonFailed(ILogger logger, Exception exception, string messageId, string instanceId);

    [LoggerMessage(EventId = 1030, Level = LogLevel.Information, Message = "Durable worker started: {Orchestrations} orchestration loops, {Activities} activity loops")]
    public static partial void WorkerStarted(ILogger logger, int orchestrations, int activities);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Scheduled orchestration {InstanceId} ({Name}) version {Version}")]
    public static partial void InstanceScheduled(ILogger logger, string instanceId, string name, string version);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Sent {Operation} to orchestration {InstanceId}")]
    public static partial void ControlSent(ILogger logger, string operation, string instanceId);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Information, Message = "Purged orchestration {InstanceId}")]
    public static partial void InstancePurged(ILogger logger, string instanceId);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "Re-sent the start of pending orchestration {InstanceId} on a repeated start")]
    public static partial void StartResent(ILogger logger, string instanceId);
}
