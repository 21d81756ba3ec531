using System.ComponentModel.DataAnnotations;

namespace EcosystemFlows.Azure.Durable;

/// <summary>
/// The durable runtime's Azure backend (issue #4): instance documents in a Cosmos DB container, control and
/// work-item messages in Storage queues, large documents, large messages and poison messages in blobs.
/// Bound from the <c>DurableStorage</c> section; the Cosmos and Storage clients come from the app's
/// <c>Cosmos</c> and <c>Storage</c> settings.
/// </summary>
public sealed class DurableStorageOptions
{
    /// <summary>Configuration section: <c>DurableStorage</c>.</summary>
    public const string SectionName = "DurableStorage";

    /// <summary>
    /// Prefix of every queue and blob container of the task hub; workers with the same name share the work.
    /// Lowercase letters and digits (queue and container naming rules), 3–40 characters.
    /// </summary>
    [Required]
    [RegularExpression("^[a-z0-9]{3,40}$", ErrorMessage = "must be 3-40 lowercase letters or digits")]
    public string TaskHubName { get; set; } = "ecoflows";

    /// <summary>Cosmos database of the <see cref="InstancesContainerName"/> container; empty: the app's <c>Cosmos:DatabaseName</c>.</summary>
    [RegularExpression(@"^([A-Za-z0-9][A-Za-z0-9_\-]{0,254})?$", ErrorMessage = "must be 1-255 letters, digits, '-' or '_'")]
    public string DatabaseName { get; set; } = "";

    /// <summary>Cosmos container holding one document per instance (partition key <c>/instanceId</c>).</summary>
    [Required]
    [RegularExpression(@"^[A-Za-z0-9][A-Za-z0-9_\-]{0,254}$", ErrorMessage = "must be 1-255 letters, digits, '-' or '_'")]
    public string InstancesContainerName { get; set; } = "instances";

    /// <summary>
    /// Number of control queues; instances are spread over them by a stable hash of their id, so the
    /// queues' throughput adds up. Changing it moves instances to other queues: drain first.
    /// </summary>
    [Range(1, 16)]
    public int ControlQueueCount { get; set; } = 4;

    /// <summary>Messages fetched per queue call (Storage queues return at most 32).</summary>
    [Range(1, 32)]
    public int ReceiveBatchSize { get; set; } = 32;

    /// <summary>Longest wait between polls of empty queues (idle backoff); a send by this process wakes the receivers at once.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan MaxPollingInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Instance documents whose JSON exceeds this size keep only their status fields in Cosmos DB; the full
    /// state goes to a blob written before the commit that references it (Cosmos items are limited to 2 MB).
    /// </summary>
    [Range(16 * 1024, 1536 * 1024)]
    public int MaxInlineDocumentBytes { get; set; } = 256 * 1024;

    /// <summary>Messages larger than this go to a blob and the queue carries a reference (queue messages are limited to 64 KB).</summary>
    [Range(1024, 48 * 1024)]
    public int MaxInlineMessageBytes { get; set; } = 45 * 1024;

    /// <summary>Creates the Cosmos database and container, the queues and blob containers on first use.</summary>
    public bool CreateIfNotExists { get; set; } = true;

    /// <summary>
    /// Test switch (the fault suite, eng/faults.sh), off by default: every received task message is handed to
    /// the workers twice, as if a lease had expired while the first copy was processed. Proves that duplicate
    /// delivery changes nothing; never enable it in production.
    /// </summary>
    public bool DuplicateDelivery { get; set; }

    internal string ControlQueueName(int partition) => $"{TaskHubName}-control-{partition:00}";

    internal string WorkItemQueueName => $"{TaskHubName}-workitems";

    internal string PayloadContainerName => $"{TaskHubName}-payloads";

    internal string PoisonContainerName => $"{TaskHubName}-poison";
}
