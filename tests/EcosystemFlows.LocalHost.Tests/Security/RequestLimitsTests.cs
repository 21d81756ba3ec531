using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using EcosystemFlows.Api.Offerings;
using EcosystemFlows.LocalHost.Tests.Hosting;
using EcosystemFlows.Workflows.JointOffering;
using EcosystemFlows.Workflows.Security;

namespace EcosystemFlows.LocalHost.Tests.Security;

/// <summary>Per-organisation rate limits (429 + Retry-After), the body size limit (413) and field-level validation problems.</summary>
public sealed class RequestLimitsTests : IAsyncLifetime
{
    private readonly AppFactory _app = new(new Dictionary<string, string?>
    {
        ["ApiLimits:PermitsPerWindow"] = "5",
        ["ApiLimits:AnonymousPermitsPerWindow"] = "3",
        ["ApiLimits:Window"] = "00:10:00",
        ["ApiLimits:MaxRequestBodyBytes"] = "2048",
    });

    public Task InitializeAsync()
    {
        SecurityKit.Seed(_app);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task RateLimit_OneOrganisationExhausted_Gets429WithRetryAfterOthersUnaffected()
    {
        using var contoso = SecurityKit.Client(_app, SecurityKit.Token("alice", "contoso", Roles.Partner));
        using var contosoOtherUser = SecurityKit.Client(_app, SecurityKit.Token("bob", "contoso", Roles.Partner));
        using var adatum = SecurityKit.Client(_app, SecurityKit.Token("zoe", "adatum", Roles.Partner));

        for (var i = 0; i < 5; i++)
        {
            using var allowed = await contoso.GetAsync(new Uri("/api/partners", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        }

        using var throttled = await contoso.GetAsync(new Uri("/api/partners", UriKind.Relative));
        using var sameOrganisation = await contosoOtherUser.GetAsync(new Uri("/api/partners", UriKind.Relative));
        using var otherOrganisation = await adatum.GetAsync(new Uri("/api/partners", UriKind.Relative));

        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        Assert.InRange(throttled.Headers.RetryAfter?.Delta ?? TimeSpan.Zero, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10));
        await AssertProblemAsync(throttled, 429);
        Assert.Equal(HttpStatusCode.TooManyRequests, sameOrganisation.StatusCode);
        Assert.Equal(HttpStatusCode.OK, otherOrganisation.StatusCode);
    }

    [Fact]
    public async Task RateLimit_AnonymousExhausted_HealthProbesStillAnswer()
    {
        using var anonymous = _app.CreateClient();
        for (var i = 0; i < 3; i++)
        {
            using var refused = await anonymous.GetAsync(new Uri("/api/partners", UriKind.Relative));
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        using var throttled = await anonymous.GetAsync(new Uri("/api/partners", UriKind.Relative));
        using var health = await anonymous.GetAsync(new Uri("/healthz", UriKind.Relative));

        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        Assert.NotNull(throttled.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task Body_OverTheLimit_Is413Problem()
    {
        using var client = SecurityKit.Client(_app, SecurityKit.Token("alice", "contoso", Roles.Partner));
        using var content = new StringContent($"{{\"reason\":\"{new string('x', 4096)}\"}}", Encoding.UTF8, "application/json");

        using var response = await client.PostAsync(new Uri("/api/offerings/off-00000000000000000000/cancel", UriKind.Relative), content);

        await AssertProblemAsync(response, 413);
    }

    [Fact]
    public async Task SignOff_WrongJsonType_Is400NamingTheField()
    {
        using var client = SecurityKit.Client(_app, SecurityKit.Token("alice", "contoso", Roles.Approver));
        using var content = new StringContent("""{"approve":"yes","termsHash":"v1:x"}""", Encoding.UTF8, "application/json");

        using var response = await client.PostAsync(new Uri("/api/offerings/off-00000000000000000000/signoffs/member-contoso", UriKind.Relative), content);

        var errors = await AssertProblemAsync(response, 400);
        Assert.True(errors.TryGetProperty("approve", out _), errors.ToString());
    }

    [Theory]
    [InlineData("""{"termsHash":"v1:x"}""", "approve")]
    [InlineData("""{"approve":true}""", "termsHash")]
    [InlineData("""{"approve":true,"termsHash":"v1:x","comment":"COMMENT"}""", "comment")]
    public async Task SignOff_MissingOrTooLongField_Is400NamingTheField(string body, string field)
    {
        await using var app = new AppFactory(new Dictionary<string, string?> { ["ApiLimits:MaxRequestBodyBytes"] = "65536" });
        using var client = SecurityKit.Client(app, SecurityKit.Token("alice", "contoso", Roles.Approver));
        using var content = new StringContent(body.Replace("COMMENT", new string('c', OfferingCommands.MaxTextLength + 1), StringComparison.Ordinal), Encoding.UTF8, "application/json");

        using var response = await client.PostAsync(new Uri("/api/offerings/off-00000000000000000000/signoffs/member-contoso", UriKind.Relative), content);

        var errors = await AssertProblemAsync(response, 400);
        Assert.True(errors.TryGetProperty(field, out _), errors.ToString());
    }

    [Fact]
    public async Task Reason_OverTheTextLimit_Is400NamingTheField()
    {
        await using var app = new AppFactory(new Dictionary<string, string?> { ["ApiLimits:MaxRequestBodyBytes"] = "65536" });
        using var client = SecurityKit.Client(app, SecurityKit.Token("alice", "contoso", Roles.Partner));

        using var response = await client.PostAsJsonAsync("/api/offerings/off-00000000000000000000/cancel", new ReasonRequest(new string('r', OfferingCommands.MaxTextLength + 1)), SecurityKit.Json);

        var errors = await AssertProblemAsync(response, 400);
        Assert.True(errors.TryGetProperty("reason", out _), errors.ToString());
    }

    [Theory]
    [InlineData("/api/offerings?status=Nonsense", "status")]
    [InlineData("/api/offerings?continuationToken=%00%01", "continuationToken")]
    [InlineData("/api/offerings?continuationToken=not-a-page", "continuationToken")]
    [InlineData("/api/partners?continuationToken=not-a-page", "continuationToken")]
    public async Task List_InvalidQuery_Is400NamingTheParameter(string url, string field)
    {
        using var client = SecurityKit.Client(_app, SecurityKit.Token("alice", "contoso", Roles.Partner));

        using var response = await client.GetAsync(new Uri(url, UriKind.Relative));

        var errors = await AssertProblemAsync(response, 400);
        Assert.True(errors.TryGetProperty(field, out _), errors.ToString());
    }

    [Fact]
    public async Task Partner_ExplicitNullCollections_Is400NotAServerError()
    {
        using var client = SecurityKit.Client(_app, SecurityKit.Token("zoe", "adatum", Roles.Partner));
        using var content = new StringContent(
            """{"partnerId":"adatum","name":"Adatum","type":"Vendor","approvers":null,"agreements":null,"certifications":[null],"support":{"tiers":null,"regions":null,"hours":"BusinessHours"},"executiveSponsor":"yan"}""",
            Encoding.UTF8,
            "application/json");

        using var response = await client.PutAsync(new Uri("/api/partners/adatum", UriKind.Relative), content);

        var errors = await AssertProblemAsync(response, 400);
        Assert.True(errors.TryGetProperty("approvers", out _), errors.ToString());
        Assert.True(errors.TryGetProperty("support.tiers", out _), errors.ToString());
    }

    [Theory]
    [InlineData("..%2F..%2Fsecrets.json")]
    [InlineData("a%3Fb")]
    [InlineData("%23frag")]
    public async Task Artifact_NameWithPathOrQueryCharacters_Is404(string name)
    {
        // Default rate limits: the start polls the offering's stage, which this class's 5 requests per window would throttle.
        await using var app = new AppFactory();
        SecurityKit.Seed(app);
        var id = await SecurityKit.StartOfferingAsync(app, "alice", "contoso", Domain.Tests.Examples.Terms());
        using var client = SecurityKit.Client(app, SecurityKit.Token("alice", "contoso", Roles.Partner));

        using var response = await client.GetAsync(new Uri($"/api/offerings/{id}/artifacts/{name}", UriKind.Relative));

        await AssertProblemAsync(response, 404);
    }

    private static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, int status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"{(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(body);
        Assert.Equal(status, problem.RootElement.GetProperty("status").GetInt32());
        Assert.DoesNotContain("   at ", body, StringComparison.Ordinal);
        return problem.RootElement.TryGetProperty("errors", out var errors) ? errors.Clone() : default;
    }
}
