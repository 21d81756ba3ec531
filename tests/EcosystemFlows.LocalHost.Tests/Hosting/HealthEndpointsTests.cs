using System.Net;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.DependencyInjection;
using Moq;

namespace EcosystemFlows.LocalHost.Tests.Hosting;

public sealed class HealthEndpointsTests
{
    [Fact]
    public async Task Healthz_DependenciesDown_StillLive()
    {
        await using var app = new AppFactory(replaceServices: services => Replace(services, blobUp: false, queueUp: false, cosmosUp: false));

        var response = await app.CreateClient().GetAsync(new Uri("/healthz", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Readyz_OneDependencyDown_Returns503NamingIt()
    {
        await using var app = new AppFactory(replaceServices: services => Replace(services, blobUp: false, queueUp: true, cosmosUp: true));

        var response = await app.CreateClient().GetAsync(new Uri("/readyz", UriKind.Relative));
        var checks = await ReadChecksAsync(response);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("Unhealthy", checks["blob"].GetProperty("status").GetString());
        Assert.Contains("Blob storage", checks["blob"].GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.Equal("Healthy", checks["queue"].GetProperty("status").GetString());
        Assert.Equal("Healthy", checks["cosmos"].GetProperty("status").GetString());
        // Nothing listens on the configured AMQP port in this test.
        Assert.Equal("Unhealthy", checks["servicebus"].GetProperty("status").GetString());
        Assert.Contains("localhost", checks["servicebus"].GetProperty("description").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Readyz_ReportsEveryDependency()
    {
        await using var app = new AppFactory(replaceServices: services => Replace(services, blobUp: true, queueUp: true, cosmosUp: false));

        var checks = await ReadChecksAsync(await app.CreateClient().GetAsync(new Uri("/readyz", UriKind.Relative)));

        Assert.Equal(["blob", "cosmos", "queue", "servicebus"], checks.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("Unhealthy", checks["cosmos"].GetProperty("status").GetString());
    }

    private static async Task<Dictionary<string, JsonElement>> ReadChecksAsync(HttpResponseMessage response)
    {
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.GetProperty("checks").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone());
    }

    private static void Replace(IServiceCollection services, bool blobUp, bool queueUp, bool cosmosUp)
    {
        var down = new RequestFailedException(0, "Connection refused (127.0.0.1:10000)");

        var blob = new Mock<BlobServiceClient>();
        blob.SetupGet(c => c.Uri).Returns(new Uri("http://127.0.0.1:10000/devstoreaccount1"));
        var blobProbe = blob.Setup(c => c.GetPropertiesAsync(It.IsAny<CancellationToken>()));
        if (blobUp)
        {
            blobProbe.ReturnsAsync(Mock.Of<global::Azure.Response<BlobServiceProperties>>());
        }
        else
        {
            blobProbe.ThrowsAsync(down);
        }

        var queue = new Mock<QueueServiceClient>();
        queue.SetupGet(c => c.Uri).Returns(new Uri("http://127.0.0.1:10001/devstoreaccount1"));
        var queueProbe = queue.Setup(c => c.GetPropertiesAsync(It.IsAny<CancellationToken>()));
        if (queueUp)
        {
            queueProbe.ReturnsAsync(Mock.Of<global::Azure.Response<QueueServiceProperties>>());
        }
        else
        {
            queueProbe.ThrowsAsync(down);
        }

        var cosmos = new Mock<CosmosClient>();
        cosmos.SetupGet(c => c.Endpoint).Returns(new Uri("http://127.0.0.1:8081/"));
        var cosmosProbe = cosmos.Setup(c => c.ReadAccountAsync());
        if (cosmosUp)
        {
            cosmosProbe.ReturnsAsync(Mock.Of<AccountProperties>());
        }
        else
        {
            cosmosProbe.ThrowsAsync(new HttpRequestException("Connection refused (127.0.0.1:8081)"));
        }

        services.AddSingleton(blob.Object);
        services.AddSingleton(queue.Object);
        services.AddSingleton(cosmos.Object);
    }
}
