using System.ComponentModel.DataAnnotations;

namespace EcosystemFlows.Api.Security;

/// <summary>
/// Limits on what callers may send: request body size and requests per organisation per window. The
/// defaults are generous (the demo, the end-to-end tests and the fault suite stay far below them); they
/// exist so one organisation, or one anonymous address, cannot starve the others.
/// </summary>
public sealed class ApiLimitsOptions
{
    /// <summary>Configuration section: <c>ApiLimits</c>.</summary>
    public const string SectionName = "ApiLimits";

    /// <summary>Largest request body accepted, in bytes (default 1 MiB; an offering's terms are a few KiB).</summary>
    [Range(1024, 100 * 1024 * 1024, ErrorMessage = "must be between 1 KiB and 100 MiB")]
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Requests one organisation (a token without one: one user) may make per <see cref="Window"/>.</summary>
    [Range(1, 1_000_000, ErrorMessage = "must be between 1 and 1,000,000")]
    public int PermitsPerWindow { get; set; } = 1000;

    /// <summary>Requests one remote address may make per <see cref="Window"/> without a valid token.</summary>
    [Range(1, 1_000_000, ErrorMessage = "must be between 1 and 1,000,000")]
    public int AnonymousPermitsPerWindow { get; set; } = 300;

    /// <summary>The fixed window the permits are counted in (default 10 seconds).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00", ErrorMessage = "must be between 1 second and 1 hour")]
    public TimeSpan Window { get; set; } = TimeSpan.FromSeconds(10);
}
