using System.ComponentModel.DataAnnotations;

namespace EcosystemFlows.Durable;

/// <summary>
/// Runtime options; bind from host.json's <c>extensions:durableTask</c> section
/// (<c>defaultVersion</c> is the one the app sets).
/// </summary>
public sealed class DurableTaskOptions
{
    /// <summary>Version recorded for new instances that do not specify one.</summary>
    public string DefaultVersion { get; set; } = string.Empty;

    /// <summary>Concurrent orchestration episodes per worker.</summary>
    [Range(1, 256)]
    public int MaxConcurrentOrchestrations { get; set; } = 4;

    /// <summary>Concurrent activity executions per worker.</summary>
    [Range(1, 256)]
    public int MaxConcurrentActivities { get; set; } = 4;

    /// <summary>Receives after which a message that keeps failing moves to the poison store.</summary>
    [Range(1, 1000)]
    public int MaxDequeueCount { get; set; } = 5;

    /// <summary>How long a received message stays invisible to other workers.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Reload-and-retry attempts of one episode on ETag conflicts before the message is abandoned.</summary>
    [Range(1, 1000)]
    public int MaxCommitAttempts { get; set; } = 50;

    /// <summary>How many processed message ids an instance remembers for duplicate detection.</summary>
    [Range(16, 100_000)]
    public int MaxProcessedMessageIds { get; set; } = 500;

    /// <summary>Real-time polling interval of <see cref="DurableTaskClient.WaitForInstanceCompletionAsync"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan ClientPollingInterval { get; set; } = TimeSpan.FromMilliseconds(200);
}
