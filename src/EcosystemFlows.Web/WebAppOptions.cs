using System.ComponentModel.DataAnnotations;

namespace EcosystemFlows.Web;

/// <summary>
/// How the web app signs users in with Microsoft Entra ID (MSAL, authorization code + PKCE) where the API takes
/// Entra tokens. Unset (locally), the app offers the development sign-in instead, when the host provides one.
/// </summary>
public sealed class WebAppOptions : IValidatableObject
{
    /// <summary>Configuration section: <c>WebApp</c>.</summary>
    public const string SectionName = "WebApp";

    /// <summary>The web app's (public client, single-page) application id in Entra ID.</summary>
    public string? ClientId { get; set; }

    /// <summary>Authority the browser signs in at, e.g. <c>https://login.microsoftonline.com/{tenant}</c>.</summary>
    public Uri? Authority { get; set; }

    /// <summary>The API scope the browser asks a token for, e.g. <c>api://ecosystemflows/.default</c>.</summary>
    public string? ApiScope { get; set; }

    /// <summary>True when every Entra setting is present.</summary>
    public bool UsesEntra => !string.IsNullOrEmpty(ClientId) && Authority is not null && !string.IsNullOrEmpty(ApiScope);

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var set = new[] { !string.IsNullOrEmpty(ClientId), Authority is not null, !string.IsNullOrEmpty(ApiScope) };
        if (set.Any(s => s) && !set.All(s => s))
        {
            yield return new ValidationResult("ClientId, Authority and ApiScope go together: set all three for Entra ID sign-in, or none", [nameof(ClientId)]);
        }

        if (Authority is { } authority && (!authority.IsAbsoluteUri || authority.Scheme != "https"))
        {
            yield return new ValidationResult("must be an absolute https URI", [nameof(Authority)]);
        }
    }
}
