using System.ComponentModel.DataAnnotations;

namespace EcosystemFlows.Azure.Cosmos;

/// <summary>Cosmos DB for NoSQL: the state store (offerings, partners, catalog, runtime instances).</summary>
public sealed class CosmosOptions : IValidatableObject
{
    /// <summary>Configuration section: <c>Cosmos</c>.</summary>
    public const string SectionName = "Cosmos";

    /// <summary>The account endpoint, e.g. <c>https://myaccount.documents.azure.com:443/</c>.</summary>
    [Required(ErrorMessage = "is required (http://127.0.0.1:8081/ for the local stand-in)")]
    public Uri? AccountEndpoint { get; set; }

    /// <summary>
    /// The account key (base64). Locally the public emulator key; empty in Azure, where the app uses its
    /// managed identity (key auth is disabled on the account).
    /// </summary>
    public string AccountKey { get; set; } = "";

    /// <summary>True when requests are authorised with Entra ID instead of a key.</summary>
    public bool UsesIdentity => string.IsNullOrEmpty(AccountKey);

    /// <summary>The database holding the application's containers.</summary>
    [Required(ErrorMessage = "is required")]
    [RegularExpression(@"^[A-Za-z0-9][A-Za-z0-9_\-]{0,254}$", ErrorMessage = "must be 1-255 letters, digits, '-' or '_'")]
    public string DatabaseName { get; set; } = "";

    /// <summary>Per-request timeout; the SDK retries throttled and transient failures itself.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00", ErrorMessage = "must be between 1 second and 5 minutes")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// True when the endpoint is a local stand-in (loopback host). The SDK is then pinned to Gateway mode on
    /// that one endpoint, because the stand-in has no regional endpoints or direct-mode ports.
    /// </summary>
    public bool IsLocalEmulator => AccountEndpoint is { IsLoopback: true };

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (AccountEndpoint is not null &&
            (!AccountEndpoint.IsAbsoluteUri || AccountEndpoint.Scheme is not ("https" or "http")))
        {
            yield return new ValidationResult("must be an absolute http(s) URI", [nameof(AccountEndpoint)]);
        }

        if (AccountEndpoint is { IsAbsoluteUri: true, Scheme: "http", IsLoopback: false })
        {
            yield return new ValidationResult("plain http is only allowed for a loopback stand-in", [nameof(AccountEndpoint)]);
        }

        if (UsesIdentity && IsLocalEmulator)
        {
            yield return new ValidationResult("is required for a local stand-in (the public emulator key)", [nameof(AccountKey)]);
        }

        if (!UsesIdentity && !IsBase64(AccountKey))
        {
            yield return new ValidationResult("must be a base64 account key", [nameof(AccountKey)]);
        }
    }

    private static bool IsBase64(string value) =>
        Convert.TryFromBase64String(value, new byte[value.Length], out _);
}
