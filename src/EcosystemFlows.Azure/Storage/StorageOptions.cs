using System.ComponentModel.DataAnnotations;
using global::Azure.Storage.Blobs;

namespace EcosystemFlows.Azure.Storage;

/// <summary>Azure Storage (blobs for artefacts and large payloads, queues for the task hub).</summary>
public sealed class StorageOptions : IValidatableObject
{
    /// <summary>Configuration section: <c>Storage</c>.</summary>
    public const string SectionName = "Storage";

    /// <summary>A storage connection string; <c>UseDevelopmentStorage=true</c> selects the local Azurite.</summary>
    [Required(ErrorMessage = "is required (UseDevelopmentStorage=true for the local Azurite)")]
    public string ConnectionString { get; set; } = "";

    /// <summary>
    /// Per-attempt network timeout. Azurite occasionally stalls a request; the SDK's 100 s default would
    /// freeze a worker, so attempts are short and retried.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00", ErrorMessage = "must be between 1 second and 5 minutes")]
    public TimeSpan NetworkTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How many times a failed storage call is retried (exponential backoff).</summary>
    [Range(0, 10, ErrorMessage = "must be between 0 and 10")]
    public int MaxRetries { get; set; } = 4;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            yield break;
        }

        string? error = null;
        try
        {
            _ = new BlobServiceClient(ConnectionString);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidOperationException)
        {
            error = $"is not a valid storage connection string ({ex.Message})";
        }

        if (error is not null)
        {
            yield return new ValidationResult(error, [nameof(ConnectionString)]);
        }
    }
}
