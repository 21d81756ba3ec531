using System.ComponentModel.DataAnnotations;
using global::Azure.Storage.Blobs;

namespace EcosystemFlows.Azure.Storage;

/// <summary>
/// Azure Storage (blobs for artefacts and large payloads, queues for the task hub): either a connection
/// string (local Azurite) or the service URIs, reached with the app's managed identity (Azure).
/// </summary>
public sealed class StorageOptions : IValidatableObject
{
    /// <summary>Configuration section: <c>Storage</c>.</summary>
    public const string SectionName = "Storage";

    /// <summary>A storage connection string; <c>UseDevelopmentStorage=true</c> selects the local Azurite.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>The Blob service URI, used with a managed identity when no connection string is set.</summary>
    public Uri? BlobServiceUri { get; set; }

    /// <summary>The Queue service URI, used with a managed identity when no connection string is set.</summary>
    public Uri? QueueServiceUri { get; set; }

    /// <summary>
    /// Per-attempt network timeout. Azurite occasionally stalls a request; the SDK's 100 s default would
    /// freeze a worker, so attempts are short and retried.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00", ErrorMessage = "must be between 1 second and 5 minutes")]
    public TimeSpan NetworkTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How many times a failed storage call is retried (exponential backoff).</summary>
    [Range(0, 10, ErrorMessage = "must be between 0 and 10")]
    public int MaxRetries { get; set; } = 4;

    /// <summary>True when the clients authenticate with Entra ID (service URIs, no connection string).</summary>
    public bool UsesIdentity => string.IsNullOrWhiteSpace(ConnectionString);

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (UsesIdentity)
        {
            if (BlobServiceUri is null || QueueServiceUri is null)
            {
                yield return new ValidationResult(
                    "is required (UseDevelopmentStorage=true for the local Azurite), unless Storage:BlobServiceUri and Storage:QueueServiceUri are set for a managed identity",
                    [nameof(ConnectionString)]);
            }

            foreach (var (name, uri) in new[] { (nameof(BlobServiceUri), BlobServiceUri), (nameof(QueueServiceUri), QueueServiceUri) })
            {
                if (uri is { IsAbsoluteUri: false } or { Scheme: not "https" })
                {
                    yield return new ValidationResult("must be an absolute https URI", [name]);
                }
            }

            yield break;
        }

        if (BlobServiceUri is not null || QueueServiceUri is not null)
        {
            yield return new ValidationResult("set either a connection string or the service URIs, not both", [nameof(ConnectionString)]);
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
