using Azure.Core;
using EcosystemFlows.Azure.ServiceBus;
using EcosystemFlows.Azure.ServiceBus.Auth;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Moq;

namespace EcosystemFlows.Azure.Tests.ServiceBus;

public sealed class MicrosoftEntraTokenProviderTests
{
    [Fact]
    public async Task GetTokenAsync_AnyEntity_AsksForTheServiceBusScopeAndReturnsAJwt()
    {
        var expiresOn = new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
        var credential = new Mock<TokenCredential>(MockBehavior.Strict);
        credential.Setup(c => c.GetTokenAsync(
                It.Is<TokenRequestContext>(r => r.Scopes.SequenceEqual(new[] { "https://servicebus.azure.net/.default" })),
                It.IsAny<CancellationToken>()))
            .ReturnsAsync(new AccessToken("header.payload.signature", expiresOn));

        var token = await new MicrosoftEntraTokenProvider(credential.Object)
            .GetTokenAsync("amqps://sb-ecoflows.servicebus.windows.net/offering-commands", CancellationToken.None);

        Assert.Equal(new CbsToken("header.payload.signature", "jwt", expiresOn), token);
        Assert.DoesNotContain("header.payload.signature", token.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "sb-ecoflows.servicebus.windows.net", typeof(MicrosoftEntraTokenProvider))]
    [InlineData("Endpoint=sb://sb-ecoflows.servicebus.windows.net/;SharedAccessKeyName=app;SharedAccessKey=c2VjcmV0", null, typeof(SharedAccessKeyTokenProvider))]
    public void AddServiceBus_ConfiguredEndpoint_PicksTheMatchingTokenProvider(string? connectionString, string? fullyQualifiedNamespace, Type expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ServiceBus:ConnectionString"] = connectionString,
            ["ServiceBus:FullyQualifiedNamespace"] = fullyQualifiedNamespace,
        }).Build();
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddSingleton(new Mock<TokenCredential>(MockBehavior.Strict).Object);
        services.AddOptions<ServiceBusOptions>().BindConfiguration(ServiceBusOptions.SectionName);
        services.AddServiceBus();

        using var provider = services.BuildServiceProvider();

        Assert.IsType(expected, provider.GetRequiredService<ICbsTokenProvider>());
    }
}
