using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using EcosystemFlows.Api.Offerings;
using EcosystemFlows.Api.Security;
using EcosystemFlows.Domain.Offerings;
using EcosystemFlows.Domain.Partners;
using EcosystemFlows.Domain.Tests;
using EcosystemFlows.LocalHost.Tests.Hosting;
using EcosystemFlows.Workflows.JointOffering;
using EcosystemFlows.Workflows.Security;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace EcosystemFlows.LocalHost.Tests.Security;

/// <summary>
/// The app with two groups of competing partners registered: "own" (contoso, northwind, fabrikam, as in
/// <see cref="Examples"/>) and "foreign" (adatum, woodgrove, litware), tokens for every role, and helpers to
/// start offerings in either group.
/// </summary>
internal static partial class SecurityKit
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    public static readonly AuthOptions Auth = new() { Audience = "ecosystemflows-tests", Issuer = "ecosystemflows-tests", DevelopmentSigningKey = AppFactory.TestSigningKey };

    /// <summary>Roles of the matrix: the four token roles and a caller without a token.</summary>
    public const string Anonymous = "anonymous";

    public static readonly IReadOnlyList<string> MatrixRoles = [Roles.Partner, Roles.Approver, Roles.Operator, Roles.Integration, Anonymous];

    public static IEnumerable<Partner> ForeignPartners =>
    [
        Examples.Vendor with { PartnerId = "adatum", Name = "Adatum Security", Approvers = ["zoe"], ExecutiveSponsor = "yan" },
        Examples.Distributor with { PartnerId = "woodgrove", Name = "Woodgrove Distribution", Approvers = ["wendy"], ExecutiveSponsor = "walt" },
        Examples.Integrator with { PartnerId = "litware", Name = "Litware Integration", Approvers = ["lars"], ExecutiveSponsor = "lena" },
    ];

    /// <summary>An offering among the foreign partners only, led by adatum.</summary>
    public static OfferingTerms ForeignTerms()
    {
        var terms = Examples.Terms();
        return terms with
        {
            Name = "Adatum managed SOC",
            CatalogId = "woodgrove-eu",
            Members =
            [
                terms.Members[0] with { PartnerId = "adatum" },
                terms.Members[1] with { PartnerId = "litware" },
                terms.Members[2] with { PartnerId = "woodgrove" },
            ],
            SupportPlan = new SupportPlan("woodgrove", "litware", "adatum"),
            AdditionalGates = [],
        };
    }

    public static void Seed(AppFactory app)
    {
        foreach (var partner in Examples.Partners().Values.Concat(ForeignPartners))
        {
            app.Ports.Partners[partner.PartnerId] = partner;
        }
    }

    /// <summary>The token the matrix uses for <paramref name="role"/> (null for anonymous).</summary>
    public static string? MatrixToken(string role) => role switch
    {
        Roles.Partner => Token("alice", "contoso", Roles.Partner),
        Roles.Approver => Token("alice", "contoso", Roles.Approver),
        Roles.Operator => Token("olivia", null, Roles.Operator),
        Roles.Integration => Token("crm", "contoso", Roles.Integration),
        _ => null,
    };

    public static string Token(string user, string? org, params string[] roles) =>
        DevelopmentTokens.Mint(Auth, user, org, roles, TimeSpan.FromMinutes(30), DateTimeOffset.UtcNow);

    public static HttpClient Client(AppFactory app, string? token)
    {
        var client = app.CreateClient();
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    /// <summary>Starts an offering as <paramref name="user"/>@<paramref name="org"/> and waits until it awaits sign-offs.</summary>
    public static async Task<string> StartOfferingAsync(AppFactory app, string user, string org, OfferingTerms terms)
    {
        using var client = Client(app, Token(user, org, Roles.Partner));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/offerings") { Content = JsonContent.Create(new StartOfferingRequest(terms, 10), options: Json) };
        request.Headers.Add(JointOfferingApi.IdempotencyKeyHeader, Guid.NewGuid().ToString());
        using var response = await client.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"start as {org}: {response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        var id = (await response.Content.ReadFromJsonAsync<OfferingAccepted>(Json))!.OfferingId;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            using var status = await client.GetAsync($"/api/offerings/{id}");
            if (status.StatusCode == HttpStatusCode.OK && (await status.Content.ReadFromJsonAsync<OfferingView>(Json))!.Stage == OfferingStage.AwaitingSignOffs)
            {
                return id;
            }

            await Task.Delay(20);
        }

        throw new TimeoutException($"offering {id} of {org} did not reach AwaitingSignOffs");
    }

    /// <summary>Every routed endpoint of the app as "METHOD /route/{pattern}" ("ANY" when it accepts every method).</summary>
    public static IReadOnlyList<(string Key, string Method, string Pattern)> Endpoints(AppFactory app) =>
        [.. app.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["ANY"])
                .Select(method => (Method: method, Pattern: Normalize(e.RoutePattern.RawText ?? ""))))
            .Distinct()
            .Select(e => ($"{e.Method} {e.Pattern}", e.Method, e.Pattern))
            .OrderBy(e => e.Item1, StringComparer.Ordinal)];

    private static string Normalize(string pattern)
    {
        var path = "/" + pattern.Trim('/');
        return path;
    }

    /// <summary>The route pattern with each <c>{parameter}</c> (constraints and defaults included) replaced by <paramref name="value"/>'s escaped answer.</summary>
    public static string FillRoute(string pattern, Func<string, string> value) =>
        RouteParameter().Replace(pattern, match => Uri.EscapeDataString(value(match.Groups[1].Value)));

    [GeneratedRegex(@"\{([^}:?=]+)[^}]*\}")]
    private static partial Regex RouteParameter();
}
