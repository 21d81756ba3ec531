using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using EcosystemFlows.Api.Security;
using EcosystemFlows.Domain.Ports;
using EcosystemFlows.Workflows.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Moq;

namespace EcosystemFlows.LocalHost.Tests.Hosting;

/// <summary>A dependency that cannot be reached answers 503 + Retry-After, not 500; a bug stays a 500.</summary>
public sealed class DependencyUnavailableTests
{
    private static readonly AuthOptions Auth = new() { Audience = "ecosystemflows-tests", Issuer = "ecosystemflows-tests", DevelopmentSigningKey = AppFactory.TestSigningKey };

    public static TheoryData<Exception> Unavailable => new()
    {
        new HttpRequestException("Connection refused (127.0.0.1:8081)", new SocketException((int)SocketError.ConnectionRefused)),
        new TimeoutException("the storage call timed out"),
        new global::Azure.RequestFailedException(0, "no response"),
        new InvalidOperationException("wrapped", new SocketException((int)SocketError.HostUnreachable)),
    };

    [Theory]
    [MemberData(nameof(Unavailable))]
    public async Task GetPartner_DependencyUnreachable_Returns503ProblemWithRetryAfter(Exception failure)
    {
        using var response = await GetPartnerFailingWith(failure);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(TimeSpan.FromSeconds(5), response.Headers.RetryAfter?.Delta);
        Assert.DoesNotContain("at EcosystemFlows", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetPartner_BugInTheApp_StaysA500()
    {
        using var response = await GetPartnerFailingWith(new InvalidOperationException("a bug"));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Null(response.Headers.RetryAfter);
    }

    private static async Task<HttpResponseMessage> GetPartnerFailingWith(Exception failure)
    {
        var directory = new Mock<IPartnerDirectory>();
        directory.Setup(d => d.GetManyAsync(It.IsAny<IReadOnlyCollection<string>>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(failure);
        await using var app = new AppFactory(replaceServices: services => services.RemoveAll<IPartnerDirectory>().AddSingleton(directory.Object));
        using var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Bearer", DevelopmentTokens.Mint(Auth, "olivia", null, [Roles.Operator], TimeSpan.FromMinutes(10), DateTimeOffset.UtcNow));

        return await client.GetAsync(new Uri("/api/partners/contoso", UriKind.Relative));
    }
}
