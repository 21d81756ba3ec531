using System.ComponentModel.DataAnnotations;

namespace EcosystemFlows.DurableTask.Hosting;

/// <summary>
/// The task hub and its Azure Storage provider, bound from <c>extensions:durableTask</c> (host.json), with the
/// names Durable Functions gives them, so the local host and the Functions app read one file. Defaults are
/// Durable Functions' own; host.json holds this app's choices and says why.
/// </summary>
public sealed class DurableTaskHubOptions
{
    /// <summary>Configuration section: host.json's <c>extensions.durableTask</c>.</summary>
    public const string SectionName = "extensions:durableTask";

    /// <summary>Task hub name: prefix of its queues, tables and blob containers (3–45 letters or digits, starting with a letter).</summary>
    [Required]
    [RegularExpression("^[A-Za-z][A-Za-z0-9]{2,44}$", ErrorMessage = "must be 3-45 letters or digits, starting with a letter")]
    public string HubName { get; set; } = "TestHubName";

    /// <summary>
    /// Identity of this worker in partition leases. Keep it stable across restarts of one instance: the provider
    /// then takes its own leases back at once after a crash, where a new id waits for the old leases to expire.
    /// Default: the machine name. Two instances on one machine need two ids.
    /// </summary>
    public string? WorkerId { get; set; }

    /// <summary>Activities run at once by this worker.</summary>
    [Range(1, 1000, ErrorMessage = "must be between 1 and 1000")]
    public int MaxConcurrentActivityFunctions { get; set; } = 10 * Environment.ProcessorCount;

    /// <summary>Orchestration episodes run at once by this worker.</summary>
    [Range(1, 1000, ErrorMessage = "must be between 1 and 1000")]
    public int MaxConcurrentOrchestratorFunctions { get; set; } = 10 * Environment.ProcessorCount;

    /// <summary>Keep an orchestration's history in memory between episodes (no history reload per step).</summary>
    public bool ExtendedSessionsEnabled { get; set; }

    /// <summary>How long an idle extended session stays in memory.</summary>
    [Range(1, 3600, ErrorMessage = "must be between 1 and 3600")]
    public int ExtendedSessionIdleTimeoutInSeconds { get; set; } = 30;

    /// <summary>Azure Storage provider settings (<c>extensions.durableTask.storageProvider</c>).</summary>
    public AzureStorageProviderOptions StorageProvider { get; set; } = new();
}

/// <summary>The Azure Storage provider's settings, as Durable Functions names them in host.json.</summary>
public sealed class AzureStorageProviderOptions
{
    /// <summary>Control queues (partitions) of the hub; fixed once the hub exists.</summary>
    [Range(1, 16, ErrorMessage = "must be between 1 and 16")]
    public int PartitionCount { get; set; } = 4;

    /// <summary>Messages taken from a control queue at once (the provider throws above 32).</summary>
    [Range(1, 32, ErrorMessage = "must be between 1 and 32")]
    public int ControlQueueBatchSize { get; set; } = 32;

    /// <summary>Longest wait between polls of an idle queue; polling backs off up to it.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:05:00", ErrorMessage = "must be between 10 ms and 5 minutes")]
    public TimeSpan MaxQueuePollingInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a received control-queue message stays hidden (a crash parks it this long at most).</summary>
    [Range(typeof(TimeSpan), "00:00:05", "01:00:00", ErrorMessage = "must be between 5 seconds and 1 hour")]
    public TimeSpan ControlQueueVisibilityTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a received work-item (activity) message stays hidden; the worker renews it while it runs.</summary>
    [Range(typeof(TimeSpan), "00:00:05", "01:00:00", ErrorMessage = "must be between 5 seconds and 1 hour")]
    public TimeSpan WorkItemQueueVisibilityTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a partition lease lasts unrenewed: when another worker may take a crashed worker's partitions.</summary>
    [Range(typeof(TimeSpan), "00:00:05", "00:10:00", ErrorMessage = "must be between 5 seconds and 10 minutes")]
    public TimeSpan PartitionLeaseInterval { get; set; } = TimeSpan.FromSeconds(30);
}
