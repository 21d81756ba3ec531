using System.Net;
using Microsoft.Azure.Cosmos;

namespace EcosystemFlows.IntegrationTests.Cosmos;

/// <summary>
/// Cosmos test classes share one client. Tests that restart the stand-in live in the
/// <see cref="ServiceRestartsCollection"/>, which runs alone.
/// </summary>
[CollectionDefinition("Cosmos")]
public sealed class CosmosCollection : ICollectionFixture<CosmosStandIn>;

/// <summary>
/// One client for the local Cosmos DB stand-in (eng/services.sh start cosmos), configured the way the
/// app talks to it: Gateway mode, pinned to the endpoint, short timeouts.
/// </summary>
public sealed class CosmosStandIn : IDisposable
{
    public CosmosStandIn()
    {
        Client = new CosmosClient(LocalServices.CosmosEndpoint.ToString(), LocalServices.CosmosKey, new CosmosClientOptions
        {
            ConnectionMode = ConnectionMode.Gateway,
            LimitToEndpoint = true,
            RequestTimeout = TimeSpan.FromSeconds(10),
            MaxRetryAttemptsOnRateLimitedRequests = 0,
            SerializerOptions = new CosmosSerializationOptions { PropertyNamingPolicy = CosmosPropertyNamingPolicy.CamelCase },
        });
    }

    public CosmosClient Client { get; }

    /// <summary>
    /// Creates a database and a container (partition key /pk) with unique names. Fails with the
    /// address tried when the stand-in is not running.
    /// </summary>
    public async Task<TestContainer> CreateContainerAsync()
    {
        var databaseId = LocalServices.UniqueName("db");
        try
        {
            Database database = await Client.CreateDatabaseAsync(databaseId);
            Container container = await database.CreateContainerAsync(LocalServices.UniqueName("c"), "/pk");
            return new TestContainer(database, container);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException
            || ex is CosmosException { StatusCode: HttpStatusCode.ServiceUnavailable or HttpStatusCode.RequestTimeout })
        {
            throw new InvalidOperationException(
                $"Cosmos DB stand-in not reachable at {LocalServices.CosmosEndpoint} (start it with eng/services.sh start cosmos): {ex.Message}", ex);
        }
    }

    public void Dispose() => Client.Dispose();
}

/// <summary>A test's own database and container; deleted when the test ends.</summary>
public sealed class TestContainer(Database database, Container container) : IAsyncDisposable
{
    public Container Container { get; } = container;

    public async ValueTask DisposeAsync() => await database.DeleteAsync();
}

/// <summary>The document shape the tests write; camelCase on the wire (id, pk, name, count).</summary>
public sealed record TestItem(string Id, string Pk, string Name, int Count);
