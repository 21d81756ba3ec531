using System.Security.Claims;
using EcosystemFlows.Workflows.Security;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace EcosystemFlows.Api.Security;

/// <summary>
/// Mints tokens of the local development issuer (<c>eng/token.sh</c>, the demo, tests). Refuses when the
/// app is configured for Entra ID, so it can never produce a token a deployed app accepts.
/// </summary>
public static class DevelopmentTokens
{
    /// <summary>A signed JWT for <paramref name="userId"/> in <paramref name="organisation"/> with <paramref name="roles"/>.</summary>
    public static string Mint(AuthOptions options, string userId, string? organisation, IReadOnlyCollection<string> roles, TimeSpan lifetime, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(roles);
        if (!options.UsesDevelopmentIssuer)
        {
            throw new InvalidOperationException("Auth:Authority is set: tokens come from Entra ID, not from the development issuer.");
        }

        if (roles.FirstOrDefault(r => !Roles.All.Contains(r)) is { } unknown)
        {
            throw new ArgumentException($"unknown role '{unknown}' (known: {string.Join(", ", Roles.All)})", nameof(roles));
        }

        var claims = new List<Claim> { new(ClaimNames.Subject, userId) };
        if (!string.IsNullOrEmpty(organisation))
        {
            claims.Add(new Claim(ClaimNames.Organisation, organisation));
        }

        claims.AddRange(roles.Select(r => new Claim(ClaimNames.Roles, r)));
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = options.Issuer,
            Audience = options.Audience,
            Subject = new ClaimsIdentity(claims),
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = (now + lifetime).UtcDateTime,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(options.DevelopmentKeyBytes), SecurityAlgorithms.HmacSha256),
        });
    }

    /// <summary>
    /// <c>mint-token --user ID [--org PARTNER] --roles r1,r2 [--minutes N]</c>: prints a token; exit code 2 on bad arguments.
    /// </summary>
    public static int Run(AuthOptions options, IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Count; i += 2)
        {
            values[args[i]] = args[i + 1];
        }

        if (!values.TryGetValue("--user", out var user) || !values.TryGetValue("--roles", out var roleList) || args.Count % 2 != 0)
        {
            error.WriteLine("usage: mint-token --user ID [--org PARTNER] --roles partner,approver,operator,integration [--minutes 60]");
            return 2;
        }

        var minutes = values.TryGetValue("--minutes", out var m) && int.TryParse(m, out var parsed) && parsed > 0 ? parsed : 60;
        try
        {
            output.WriteLine(Mint(options, user, values.GetValueOrDefault("--org"), roleList.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), TimeSpan.FromMinutes(minutes), DateTimeOffset.UtcNow));
            return 0;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or FormatException)
        {
            error.WriteLine(ex.Message);
            return 2;
        }
    }
}
