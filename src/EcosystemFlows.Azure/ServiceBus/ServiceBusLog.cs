using Microsoft.Extensions.Logging;

namespace EcosystemFlows.Azure.ServiceBus;

/// <summary>Source-generated log messages of the Service Bus adapter (event ids 5100–5199).</summary>
internal static partial class ServiceBusLog
{
    [LoggerMessage(5100, LogLevel.Information, "Service Bus connection opened to {Endpoint} (dialect {Dialect}, attempt {Attempt})")]
    public static partial void Connected(ILogger logger, string endpoint, string dialect, int attempt);

    [LoggerMessage(5101, LogLevel.Warning, "Service Bus connection to {Endpoint} failed (attempt {Attempt}); retrying in {DelayMs} ms")]
    public static partial void ConnectFailed(ILogger logger, Exception exception, string endpoint, int attempt, long delayMs);

    [LoggerMessage(5102, LogLevel.Warning, "Service Bus connection lost: {Error}")]
    public static partial void ConnectionLost(ILogger logger, string? error);

    [LoggerMessage(5103, LogLevel.Warning, "Send to {Address} failed (attempt {Attempt}); retrying")]
    public static partial void SendRetry(ILogger logger, Exception exception, string address, int attempt);

    [LoggerMessage(5104, LogLevel.Information, "Listening on {Entity} (credit {Credit}, concurrency {Concurrency})")]
    public static partial void ReceiverAttached(ILogger logger, string entity, int credit, int concurrency);

    [LoggerMessage(5105, LogLevel.Warning, "Receiver on {Entity} lost ({Error}); re-attaching")]
    public static partial void ReceiverLost(ILogger logger, string entity, string? error);

    [LoggerMessage(5106, LogLevel.Warning, "Handler for {Entity} failed on message {MessageId} (delivery {DeliveryCount} of {MaxDeliveryCount}); abandoned for retry")]
    public static partial void HandlerFailed(ILogger logger, Exception exception, string entity, string? messageId, int deliveryCount, int maxDeliveryCount);

    [LoggerMessage(5107, LogLevel.Warning, "Message {MessageId} from {Entity} dead-lettered: {Reason}: {Description}")]
    public static partial void DeadLettered(ILogger logger, string entity, string? messageId, string reason, string description);

    [LoggerMessage(5108, LogLevel.Warning, "Settling message {MessageId} from {Entity} failed; the broker will redeliver it")]
    public static partial void SettleFailed(ILogger logger, Exception exception, string entity, string? messageId);

    [LoggerMessage(5109, LogLevel.Warning, "CBS token renewal for {Audience} failed; retrying")]
    public static partial void TokenRenewalFailed(ILogger logger, Exception exception, string audience);

    [LoggerMessage(5110, LogLevel.Information, "Stopped listening on {Entity}")]
    public static partial void ProcessorStopped(ILogger logger, string entity);

    [LoggerMessage(5111, LogLevel.Error, "Receiver on {Entity} could not attach; retrying")]
    public static partial void AttachFailed(ILogger logger, Exception exception, string entity);
}
