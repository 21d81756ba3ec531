using EcosystemFlows.Azure.Configuration;
using EcosystemFlows.Workflows.Security;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace EcosystemFlows.Api.Security;

/// <summary>JWT bearer authentication, role policies and RFC 9457 answers for 401 and 403.</summary>
internal static class SecurityExtensions
{
    public static IServiceCollection AddApiSecurity(this IServiceCollection services)
    {
        services.AddValidatedOptions<AuthOptions>(AuthOptions.SectionName);
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        RemoveDataProtectionWarmUp(services);
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<AuthOptions>>((jwt, auth) => Configure(jwt, auth.Value));
        // Deny by default: an endpoint without its own rule still needs an authenticated caller.
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build())
            .AddPolicy(Roles.Partner, p => p.RequireRole(Roles.Partner).RequireClaim(ClaimNames.Organisation))
            .AddPolicy(Roles.Approver, p => p.RequireRole(Roles.Approver))
            .AddPolicy(Roles.Operator, p => p.RequireRole(Roles.Operator))
            .AddPolicy(Roles.Integration, p => p.RequireRole(Roles.Integration));
        return services;
    }

    /// <summary>
    /// AddAuthentication registers data protection (for cookie and OpenID Connect handlers) with a hosted service that
    /// creates and loads its key ring at start: keys written unencrypted to ~/.aspnet/DataProtection-Keys ("No XML
    /// encryptor configured") or, in Azure, to a file share. JWT bearer, our only scheme, protects nothing, so the key
    /// ring is not warmed up. Something that did use data protection would still get it, and create the key ring on
    /// first use (then it needs PersistKeysTo…/ProtectKeysWith… here). The type is internal, hence the name;
    /// HostingEnvironmentTests fails if it stops matching.
    /// </summary>
    private static void RemoveDataProtectionWarmUp(IServiceCollection services)
    {
        foreach (var warmUp in services.Where(d => d.ServiceType == typeof(IHostedService) &&
            d.ImplementationType?.FullName == "Microsoft.AspNetCore.DataProtection.Internal.DataProtectionHostedService").ToList())
        {
            services.Remove(warmUp);
        }
    }

    private static void Configure(JwtBearerOptions jwt, AuthOptions auth)
    {
        jwt.MapInboundClaims = false;
        jwt.TokenValidationParameters = new TokenValidationParameters
        {
            ValidAudience = auth.Audience,
            NameClaimType = ClaimNames.Subject,
            RoleClaimType = ClaimNames.Roles,
            ClockSkew = TimeSpan.FromMinutes(1),
            ValidateLifetime = true,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
        };
        if (auth.UsesDevelopmentIssuer)
        {
            jwt.TokenValidationParameters.ValidIssuer = auth.Issuer;
            jwt.TokenValidationParameters.IssuerSigningKey = new SymmetricSecurityKey(auth.DevelopmentKeyBytes);
        }
        else
        {
            jwt.Authority = auth.Authority!.ToString();
        }

        jwt.Events = new JwtBearerEvents
        {
            OnChallenge = async context =>
            {
                context.HandleResponse();
                var detail = context.AuthenticateFailure is { } failure
                    ? $"The bearer token was rejected: {failure.GetType().Name}."
                    : "A bearer token is required.";
                await WriteProblemAsync(context.HttpContext, StatusCodes.Status401Unauthorized, "Unauthorized", detail);
            },
            OnForbidden = context => WriteProblemAsync(context.HttpContext, StatusCodes.Status403Forbidden, "Forbidden", "The token lacks the role this operation needs."),
        };
    }

    /// <summary>Answers with an RFC 9457 problem (used where no endpoint runs: authentication, limits).</summary>
    internal static async Task WriteProblemAsync(HttpContext context, int status, string title, string detail)
    {
        context.Response.StatusCode = status;
        if (status == StatusCodes.Status401Unauthorized)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
        }

        await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        });
    }
}
