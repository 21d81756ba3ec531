using System.ComponentModel.DataAnnotations;

namespace EcosystemFlows.Api.Security;

/// <summary>
/// JWT bearer authentication. In Azure, <see cref="Authority"/> names the Entra ID tenant and tokens are
/// validated against its published keys. Locally, with no authority, tokens are signed by a development
/// issuer with <see cref="DevelopmentSigningKey"/> (minted by <c>eng/token.sh</c>).
/// </summary>
public sealed class AuthOptions : IValidatableObject
{
    /// <summary>Configuration section: <c>Auth</c>.</summary>
    public const string SectionName = "Auth";

    /// <summary>Entra ID authority, e.g. <c>https://login.microsoftonline.com/{tenant}/v2.0</c>; empty locally.</summary>
    public Uri? Authority { get; set; }

    /// <summary>The audience tokens must be issued for.</summary>
    [Required(ErrorMessage = "is required")]
    public string Audience { get; set; } = "";

    /// <summary>Issuer of development tokens (ignored with an <see cref="Authority"/>).</summary>
    public string Issuer { get; set; } = "ecosystemflows-dev";

    /// <summary>Base64 HMAC-SHA256 key (at least 32 bytes) of the development issuer; must be empty in Azure.</summary>
    public string DevelopmentSigningKey { get; set; } = "";

    /// <summary>True when tokens come from the local development issuer.</summary>
    public bool UsesDevelopmentIssuer => Authority is null;

    /// <summary>The development signing key's bytes (valid once options validation passed).</summary>
    public byte[] DevelopmentKeyBytes => Convert.FromBase64String(DevelopmentSigningKey);

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Authority is { } authority && (!authority.IsAbsoluteUri || authority.Scheme != "https"))
        {
            yield return new ValidationResult("must be an absolute https URI", [nameof(Authority)]);
        }

        if (Authority is not null && !string.IsNullOrEmpty(DevelopmentSigningKey))
        {
            yield return new ValidationResult("must be empty when Auth:Authority is set (development tokens are never accepted with Entra ID)", [nameof(DevelopmentSigningKey)]);
        }

        if (Authority is null)
        {
            var key = new byte[DevelopmentSigningKey.Length];
            if (!Convert.TryFromBase64String(DevelopmentSigningKey, key, out var length) || length < 32)
            {
                yield return new ValidationResult("is required without Auth:Authority: a base64 key of at least 32 bytes", [nameof(DevelopmentSigningKey)]);
            }
        }
    }
}
