namespace EcosystemFlows.Functions.Hosting.CustomHandler;

/// <summary>Log messages of the custom-handler invocations (event ids 3100–3199).</summary>
internal static partial class CustomHandlerLog
{
    [LoggerMessage(3100, LogLevel.Warning, "The Functions host invoked unknown function {FunctionName}")]
    public static partial void UnknownFunction(ILogger logger, string functionName);

    [LoggerMessage(3101, LogLevel.Warning, "Invalid invocation request for {FunctionName}: {Problem}")]
    public static partial void InvalidInvocation(ILogger logger, string functionName, string problem);

    [LoggerMessage(3102, LogLevel.Warning, "{FunctionName} refused message {MessageId} (delivery {DeliveryCount}): {Reason}: {Description}; failing the invocation, Service Bus dead-letters it after its max delivery count")]
    public static partial void Refused(ILogger logger, string functionName, string? messageId, int deliveryCount, string reason, string description);

    [LoggerMessage(3103, LogLevel.Warning, "{FunctionName} failed on message {MessageId} (delivery {DeliveryCount}); failing the invocation for a retry")]
    public static partial void Failed(ILogger logger, Exception exception, string functionName, string? messageId, int deliveryCount);
}
