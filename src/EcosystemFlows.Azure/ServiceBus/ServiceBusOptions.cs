using System.ComponentModel.DataAnnotations;
using Azure.Messaging.ServiceBus;

namespace EcosystemFlows.Azure.ServiceBus;

/// <summary>Service Bus (commands in, workflow events out), reached with Azure.Messaging.ServiceBus.</summary>
public sealed class ServiceBusOptions : IValidatableObject
{
    /// <summary>Configuration section: <c>ServiceBus</c>.</summary>
    public const string SectionName = "ServiceBus";

    /// <summary>
    /// The namespace connection string: a SAS key, or the local emulator in the official emulator's form
    /// (<c>Endpoint=sb://localhost:5672;SharedAccessKeyName=…;SharedAccessKey=…;UseDevelopmentEmulator=true;</c>).
    /// Set this or <see cref="FullyQualifiedNamespace"/>, not both.
    /// </summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>
    /// The namespace host (<c>ns.servicebus.windows.net</c>) that infra sets for managed-identity access
    /// (<c>DefaultAzureCredential</c>). Set this or <see cref="ConnectionString"/>, not both.
    /// </summary>
    public string? FullyQualifiedNamespace { get; set; }

    /// <summary>How long one SDK operation attempt may take (the SDK's TryTimeout).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00", ErrorMessage = "must be between 1 second and 5 minutes")]
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest wait between SDK retry attempts (its exponential back-off's MaxDelay).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00", ErrorMessage = "must be between 1 second and 10 minutes")]
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Prefetch per processor. Prefetched messages are locked while they wait, so keep it near
    /// <see cref="MaxConcurrentCalls"/> (the SDK's guidance).
    /// </summary>
    [Range(0, 5000, ErrorMessage = "must be between 0 and 5000")]
    public int PrefetchCount { get; set; } = 16;

    /// <summary>Messages one listener handles at the same time.</summary>
    [Range(1, 1000, ErrorMessage = "must be between 1 and 1000")]
    public int MaxConcurrentCalls { get; set; } = 16;

    /// <summary>
    /// Deliveries after which a failing message is dead-lettered by the app with the failure as description.
    /// Keep it equal to the entity's MaxDeliveryCount (infra/app/servicebus.bicep, eng/emulators/servicebus/Config.json),
    /// which the namespace enforces (reason MaxDeliveryCountExceeded) should the app never settle.
    /// </summary>
    [Range(1, 2000, ErrorMessage = "must be between 1 and 2000")]
    public int MaxDeliveryCount { get; set; } = 5;

    /// <summary>
    /// A message whose handler failed is abandoned only after this delay, doubled per delivery (capped at 30 s),
    /// so an outage of a dependency that lasts seconds (a database restarting) does not use up
    /// <see cref="MaxDeliveryCount"/> within them. The message stays locked meanwhile, so the wait is also capped at a
    /// quarter of the lock time left (a 1-minute LockDuration allows about 15 s); zero abandons at once.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:30", ErrorMessage = "must be between 0 and 30 seconds")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Larger messages are dead-lettered unread (Service Bus standard tier allows 256 KiB).</summary>
    [Range(1024, 100 * 1024 * 1024, ErrorMessage = "must be between 1 KiB and 100 MiB")]
    public int MaxMessageBytes { get; set; } = 256 * 1024;

    /// <summary>How long a stopping listener waits for handlers in flight before cancelling them.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00", ErrorMessage = "must be between 0 and 10 minutes")]
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The topic workflow events are published to.</summary>
    [Required(ErrorMessage = "is required")]
    public string EventsTopic { get; set; } = "offering-events";

    /// <summary>The CloudEvents <c>source</c> of published events (a URI reference).</summary>
    [Required(ErrorMessage = "is required")]
    public string EventSource { get; set; } = "/ecosystemflows/workflows";

    /// <summary>
    /// Test switch (the fault suite, eng/faults.sh), off by default: every received message is handled twice
    /// before it is settled, as if the broker had redelivered it after a lost settlement; the second handling
    /// decides the settlement. Only accepted with the local emulator.
    /// </summary>
    public bool DuplicateDelivery { get; set; }

    /// <summary>True when the namespace is reached with a Microsoft Entra identity rather than a connection string.</summary>
    public bool UsesIdentity => string.IsNullOrWhiteSpace(ConnectionString) && !string.IsNullOrWhiteSpace(FullyQualifiedNamespace);

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var hasConnectionString = !string.IsNullOrWhiteSpace(ConnectionString);
        var hasNamespace = !string.IsNullOrWhiteSpace(FullyQualifiedNamespace);
        if (hasConnectionString == hasNamespace)
        {
            yield return new ValidationResult(
                hasConnectionString
                    ? $"set either a connection string or {nameof(FullyQualifiedNamespace)} (Microsoft Entra ID), not both"
                    : $"is required, or set {nameof(FullyQualifiedNamespace)} to connect with Microsoft Entra ID",
                [nameof(ConnectionString)]);
        }

        if (hasConnectionString)
        {
            if (!TryParse(ConnectionString, out var parsed, out var error))
            {
                yield return new ValidationResult($"is malformed: {error}", [nameof(ConnectionString)]);
            }
            else if (string.IsNullOrEmpty(parsed.SharedAccessKeyName) && string.IsNullOrEmpty(parsed.SharedAccessSignature))
            {
                // Without a key there is nothing to sign a SAS token with; identity-based access goes by namespace.
                yield return new ValidationResult(
                    $"has no SharedAccessKeyName/SharedAccessKey; to connect with Microsoft Entra ID set {nameof(FullyQualifiedNamespace)} instead",
                    [nameof(ConnectionString)]);
            }
        }

        if (hasNamespace && Uri.CheckHostName(FullyQualifiedNamespace) != UriHostNameType.Dns)
        {
            yield return new ValidationResult(
                "must be a host name such as ns.servicebus.windows.net (no scheme, port or path)", [nameof(FullyQualifiedNamespace)]);
        }

        if (DuplicateDelivery && !(hasConnectionString
            && TryParse(ConnectionString, out var local, out _) && IsEmulator(ConnectionString, local)))
        {
            yield return new ValidationResult("is a test switch, accepted only with the local emulator (UseDevelopmentEmulator=true)", [nameof(DuplicateDelivery)]);
        }
    }

    private static bool TryParse(string connectionString, out ServiceBusConnectionStringProperties properties, out string? error)
    {
        try
        {
            properties = ServiceBusConnectionStringProperties.Parse(connectionString);
            // The SDK rewrites any scheme to sb://; an ftp:// or amqp:// endpoint is still a mistake worth naming.
            error = connectionString.Replace(" ", "", StringComparison.Ordinal).Contains("Endpoint=sb://", StringComparison.OrdinalIgnoreCase)
                ? null
                : "Endpoint must be an sb:// address (sb://<namespace> or sb://localhost:<port>)";
            return error is null;
        }
        catch (FormatException ex)
        {
            properties = null!;
            error = ex.Message;
            return false;
        }
    }

    /// <summary>UseDevelopmentEmulator=true (the SDK then speaks plain AMQP to the local emulator).</summary>
    private static bool IsEmulator(string connectionString, ServiceBusConnectionStringProperties _) =>
        connectionString.Replace(" ", "", StringComparison.Ordinal).Contains("UseDevelopmentEmulator=true", StringComparison.OrdinalIgnoreCase);
}
