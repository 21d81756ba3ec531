using Microsoft.Extensions.Logging;

namespace EcosystemFlows.Durable.Tests.Samples;

internal static partial class SampleLog
{
    [LoggerMessage(EventId = 9001, Level = LogLevel.Information, Message = "Orchestration {InstanceId} took a step")]
    public static partial void LogStep(this ILogger logger, string instanceId);
}
