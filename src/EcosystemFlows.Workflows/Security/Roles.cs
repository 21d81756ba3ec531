using System.Security.Claims;

namespace EcosystemFlows.Workflows.Security;

/// <summary>Roles carried in the token's <c>roles</c> claim, and the policies built on them.</summary>
public static class Roles
{
    public const string Partner = "partner";
    public const string Approver = "approver";
    public const string Operator = "operator";
    public const string Integration = "integration";

    /// <summary>Every role, for validation of minted tokens.</summary>
    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal) { Partner, Approver, Operator, Integration };
}

/// <summary>Claim types of our tokens (kept as issued: no inbound claim mapping).</summary>
public static class ClaimNames
{
    public const string Subject = "sub";
    public const string Organisation = "org";
    public const string Roles = "roles";
}

/// <summary>The caller's identity as our tokens carry it (<see cref="ClaimNames"/>).</summary>
public static class ClaimsPrincipalExtensions
{
    /// <summary>The caller's user id (<c>sub</c>).</summary>
    public static string UserId(this ClaimsPrincipal user) => user.FindFirst(ClaimNames.Subject)?.Value ?? "";

    /// <summary>The caller's organisation (partner id, <c>org</c>), or null.</summary>
    public static string? Organisation(this ClaimsPrincipal user) => user.FindFirst(ClaimNames.Organisation)?.Value;
}
