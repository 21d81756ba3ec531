using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text;
using EcosystemFlows.Api.Offerings;
using EcosystemFlows.Domain.Tests;
using EcosystemFlows.LocalHost.Tests.Hosting;
using EcosystemFlows.Workflows.JointOffering;
using EcosystemFlows.Workflows.Security;
using static EcosystemFlows.LocalHost.Tests.Security.AuthorizationMatrixTests.Scope;

namespace EcosystemFlows.LocalHost.Tests.Security;

/// <summary>
/// Every endpoint of the app × every role × own / foreign / missing object, sent over HTTP and checked
/// against one rule table. The endpoints come from the app's <c>EndpointDataSource</c>: an endpoint
/// without a rule fails the test, so a new endpoint cannot ship without deciding who may call it.
/// </summary>
public sealed class AuthorizationMatrixTests : IAsyncLifetime
{
    /// <summary>Which object a request addresses, relative to the caller.</summary>
    public enum Scope
    {
        /// <summary>The caller's organisation's (or, for an approver, assigned to them).</summary>
        Own,

        /// <summary>A competing organisation's.</summary>
        Foreign,

        /// <summary>Does not exist.</summary>
        Missing,
    }

    private const string MissingOffering = "off-00000000000000000000";

    /// <summary>
    /// The rule table. Roles: who passes the policy (others with a token: 403, without: 401; an empty
    /// list marks a public endpoint, where <see cref="Rule.Expect"/> applies to every caller). Expect:
    /// the status for an allowed role per scope. NeedsOfferings: the endpoint gets two fresh offerings
    /// (own: led by the caller's contoso; foreign: among adatum, woodgrove, litware), so a request that
    /// changes one cannot change what another request of the matrix sees.
    /// </summary>
    private static readonly Dictionary<string, Rule> Rules = new(StringComparer.Ordinal)
    {
        // Public: probes and the API description.
        ["ANY /healthz"] = new([], Always(200)),
        ["ANY /readyz"] = new([], Always(503)), // the tests' Cosmos endpoint is unreachable
        ["GET /openapi/v1.json"] = new([], Always(200)),
        ["GET /scalar/{documentName?}"] = new([], Always(200)),
        ["GET /scalar/scalar.js"] = new([], Always(200)),
        ["GET /scalar/scalar.aspnetcore.js"] = new([], Always(200)),
        ["GET /scalar/favicon.svg"] = new([], Always(200)),
        // The web app's files and sign-in settings hold no data (its development sign-in exists only in Development).
        ["GET /app"] = new([], Always(200)),
        ["GET /app/{file}"] = new([], Always(200)),
        ["GET /app/config.json"] = new([], Always(200)),

        // Offerings: partners of member organisations only; foreign and missing look the same (404).
        ["GET /api/offerings"] = new([Roles.Partner], Scoped(200, 200, 200)),
        ["POST /api/offerings"] = new([Roles.Partner], Scoped(202, 400, 400), Body: (_, scope) => new StartOfferingRequest(TermsFor(scope), 10), IdempotencyKey: true),
        ["GET /api/offerings/{offeringId}"] = new([Roles.Partner], Scoped(200, 404, 404), NeedsOfferings: true),
        ["GET /api/offerings/{offeringId}/audit"] = new([Roles.Partner], Scoped(200, 404, 404), NeedsOfferings: true),
        ["GET /api/offerings/{offeringId}/artifacts/{name}"] = new([Roles.Partner], Scoped(200, 404, 404), NeedsOfferings: true),
        ["POST /api/offerings/{offeringId}/cancel"] = new([Roles.Partner], Scoped(202, 404, 404), Body: (_, _) => new ReasonRequest("matrix"), NeedsOfferings: true),
        // Own offering is awaiting sign-offs: amend and retire need a launched one (409), after authorization.
        ["POST /api/offerings/{offeringId}/amendments"] = new([Roles.Partner], Scoped(409, 404, 404), Body: (_, _) => new AmendmentRequest(Examples.Terms()), NeedsOfferings: true),
        ["POST /api/offerings/{offeringId}/retire"] = new([Roles.Partner], Scoped(409, 404, 404), Body: (_, _) => new ReasonRequest("matrix"), NeedsOfferings: true),
        // Approvers: only a gate assigned to them (own = alice's member-contoso gate).
        ["POST /api/offerings/{offeringId}/signoffs/{gateId}"] = new([Roles.Approver], Scoped(202, 404, 404), Body: (_, scope) => new SignOffRequest(true, "matrix", TermsFor(scope == Foreign ? Foreign : Own).TermsHash), NeedsOfferings: true),
        ["GET /api/approvals/pending"] = new([Roles.Approver], Scoped(200, 200, 200)),
        ["GET /api/approvals/decided"] = new([Roles.Approver], Scoped(200, 200, 200)),

        // Partners: everyone in the ecosystem reads; an organisation writes only itself; operators write any.
        ["GET /api/partners"] = new([Roles.Partner, Roles.Operator], Scoped(200, 200, 200)),
        ["GET /api/partners/{partnerId}"] = new([Roles.Partner, Roles.Operator], Scoped(200, 200, 404)),
        ["POST /api/partners"] = new([Roles.Partner, Roles.Operator], ByRole(partner: (409, 403, 403), @operator: (409, 409, 201)), Body: (ctx, scope) => PartnerFor(ctx.PartnerId(scope))),
        ["PUT /api/partners/{partnerId}"] = new([Roles.Partner, Roles.Operator], ByRole(partner: (200, 403, 403), @operator: (200, 200, 404)), Body: (ctx, scope) => PartnerFor(ctx.PartnerId(scope))),

        // Runtime management: operators only, over every organisation's instances alike.
        ["GET /webhooks/durabletask/instances"] = new([Roles.Operator], Scoped(200, 200, 200)),
        ["GET /webhooks/durabletask/instances/{instanceId}"] = new([Roles.Operator], Scoped(202, 202, 404), NeedsOfferings: true),
        ["POST /webhooks/durabletask/instances/{instanceId}/raiseEvent/{eventName}"] = new([Roles.Operator], Scoped(202, 202, 404), Body: (_, _) => new { probe = true }, NeedsOfferings: true),
        ["POST /webhooks/durabletask/instances/{instanceId}/terminate"] = new([Roles.Operator], Scoped(202, 202, 404), NeedsOfferings: true),
        ["POST /webhooks/durabletask/instances/{instanceId}/suspend"] = new([Roles.Operator], Scoped(202, 202, 404), NeedsOfferings: true),
        ["POST /webhooks/durabletask/instances/{instanceId}/resume"] = new([Roles.Operator], Scoped(202, 202, 404), NeedsOfferings: true),
        ["POST /webhooks/durabletask/instances/{instanceId}/restart"] = new([Roles.Operator], Scoped(409, 409, 404), NeedsOfferings: true),
        ["DELETE /webhooks/durabletask/instances/{instanceId}"] = new([Roles.Operator], Scoped(409, 409, 404), NeedsOfferings: true),
    };

    private readonly AppFactory _app = new(new Dictionary<string, string?> { ["ApiLimits:PermitsPerWindow"] = "1000000", ["ApiLimits:AnonymousPermitsPerWindow"] = "1000000" });

    public Task InitializeAsync()
    {
        SecurityKit.Seed(_app);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public void Endpoints_EveryOneHasARule()
    {
        var unruled = SecurityKit.Endpoints(_app).Select(e => e.Key).Where(key => !Rules.ContainsKey(key)).ToList();

        Assert.True(unruled.Count == 0, $"endpoints without an authorization rule (add one to {nameof(AuthorizationMatrixTests)}.{nameof(Rules)}):\n  {string.Join("\n  ", unruled)}");
    }

    [Fact]
    public void Rules_EveryOneNamesAnExistingEndpoint()
    {
        var endpoints = SecurityKit.Endpoints(_app).Select(e => e.Key).ToHashSet(StringComparer.Ordinal);

        var stale = Rules.Keys.Where(key => !endpoints.Contains(key)).ToList();

        Assert.True(stale.Count == 0, $"rules for endpoints that no longer exist: {string.Join(", ", stale)}");
    }

    [Fact]
    public async Task EveryEndpoint_EveryRoleAndObject_AnswersAsTheRuleTableSays()
    {
        // Arrange: endpoints without a rule are reported by Endpoints_EveryOneHasARule.
        var endpoints = SecurityKit.Endpoints(_app).Where(e => Rules.ContainsKey(e.Key)).ToList();
        var failures = new ConcurrentBag<string>();
        var sent = 0;

        // Act: endpoints in parallel; each gets its own objects when it needs them.
        await Parallel.ForEachAsync(endpoints, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (endpoint, _) =>
        {
            var rule = Rules[endpoint.Key];
            var context = rule.NeedsOfferings
                ? new MatrixContext(
                    await SecurityKit.StartOfferingAsync(_app, "alice", "contoso", Examples.Terms()),
                    await SecurityKit.StartOfferingAsync(_app, "zoe", "adatum", SecurityKit.ForeignTerms()))
                : new MatrixContext(MissingOffering, MissingOffering);
            foreach (var id in new[] { context.OwnOffering, context.ForeignOffering })
            {
                _app.Ports.Artifacts[$"{id}/{WriteOfferingSheetActivity.MarkdownName}"] = "# sheet"u8.ToArray();
            }

            var cases = SecurityKit.MatrixRoles.SelectMany(role => Enum.GetValues<Scope>().Select(scope => (Role: role, Scope: scope)));
            await Task.WhenAll(cases.Select(async c =>
            {
                var expected = Expected(rule, c.Role, c.Scope);
                using var client = SecurityKit.Client(_app, SecurityKit.MatrixToken(c.Role));
                using var request = Build(endpoint.Method, endpoint.Pattern, rule, context, c.Scope);
                using var response = await client.SendAsync(request);
                Interlocked.Increment(ref sent);
                if ((int)response.StatusCode != expected)
                {
                    failures.Add($"{request.Method} {request.RequestUri} ({endpoint.Key}) as {c.Role} on {c.Scope}: expected {expected}, got {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                }
            }));
        });

        // Assert
        Assert.True(failures.IsEmpty, $"{failures.Count} of {sent} requests broke the rules:\n{string.Join("\n", failures.Order(StringComparer.Ordinal))}");
        Assert.Equal(endpoints.Count * SecurityKit.MatrixRoles.Count * 3, sent);
    }

    private static int Expected(Rule rule, string role, Scope scope) =>
        rule.Roles.Count == 0 || rule.Roles.Contains(role) ? rule.Expect(role, scope)
            : role == SecurityKit.Anonymous ? 401
            : 403;

    private static HttpRequestMessage Build(string method, string pattern, Rule rule, MatrixContext context, Scope scope)
    {
        var path = SecurityKit.FillRoute(pattern, name => context.RouteValue(name, scope));
        var request = new HttpRequestMessage(new HttpMethod(method == "ANY" ? "GET" : method), path);
        if (rule.Body is { } body)
        {
            request.Content = JsonContent.Create(body(context, scope), options: SecurityKit.Json);
        }
        else if (method is "POST" or "PUT")
        {
            request.Content = new StringContent("", Encoding.UTF8, "application/json");
        }

        if (rule.IdempotencyKey)
        {
            request.Headers.Add(JointOfferingApi.IdempotencyKeyHeader, Guid.NewGuid().ToString());
        }

        return request;
    }

    /// <summary>Start terms per scope: own = led by the caller's organisation; foreign = led by a competitor; missing = an unregistered member.</summary>
    private static Domain.Offerings.OfferingTerms TermsFor(Scope scope) => scope switch
    {
        Own => Examples.Terms(),
        Foreign => SecurityKit.ForeignTerms(),
        _ => Examples.Terms() with { Members = [.. Examples.Terms().Members.Select(m => m.PartnerId == "fabrikam" ? m with { PartnerId = "nobody" } : m)] },
    };

    /// <summary>
    /// A registration for <paramref name="partnerId"/> that keeps a known partner's approvers: the matrix runs
    /// endpoints in parallel, and a write that handed adatum's gates to contoso's approvers would break others.
    /// </summary>
    private static Domain.Partners.Partner PartnerFor(string partnerId) =>
        Examples.Partners().Values.Concat(SecurityKit.ForeignPartners).FirstOrDefault(p => p.PartnerId == partnerId)
        ?? Examples.Vendor with { PartnerId = partnerId, Name = $"{partnerId} (matrix)", Approvers = ["nina"], ExecutiveSponsor = "ned" };

    private static Func<string, Scope, int> Always(int status) => (_, _) => status;

    private static Func<string, Scope, int> Scoped(int own, int foreign, int missing) => (_, scope) => scope switch { Own => own, Foreign => foreign, _ => missing };

    private static Func<string, Scope, int> ByRole((int Own, int Foreign, int Missing) partner, (int Own, int Foreign, int Missing) @operator) =>
        (role, scope) => Scoped(
            role == Roles.Operator ? @operator.Own : partner.Own,
            role == Roles.Operator ? @operator.Foreign : partner.Foreign,
            role == Roles.Operator ? @operator.Missing : partner.Missing)(role, scope);

    /// <summary>An endpoint's rule: see <see cref="Rules"/>.</summary>
    private sealed record Rule(
        IReadOnlyList<string> Roles,
        Func<string, Scope, int> Expect,
        Func<MatrixContext, Scope, object>? Body = null,
        bool NeedsOfferings = false,
        bool IdempotencyKey = false);

    /// <summary>The objects one endpoint's requests address.</summary>
    private sealed record MatrixContext(string OwnOffering, string ForeignOffering)
    {
        private readonly string _newPartner = $"newco-{Guid.NewGuid():N}"[..20];

        public string PartnerId(Scope scope) => scope switch { Own => "contoso", Foreign => "adatum", _ => _newPartner };

        public string RouteValue(string parameter, Scope scope) => parameter switch
        {
            "offeringId" or "instanceId" => scope switch { Own => OwnOffering, Foreign => ForeignOffering, _ => MissingOffering },
            "gateId" => scope == Foreign ? "member-adatum" : "member-contoso",
            "partnerId" => PartnerId(scope),
            "name" => WriteOfferingSheetActivity.MarkdownName,
            "eventName" => "matrix-probe",
            "documentName" => "v1",
            "file" => "app.js",
            _ => throw new InvalidOperationException($"no matrix value for route parameter '{parameter}': add one to {nameof(MatrixContext)}.{nameof(RouteValue)}"),
        };
    }
}
