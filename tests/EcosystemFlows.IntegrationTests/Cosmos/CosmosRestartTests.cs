using System.Net;
using Microsoft.Azure.Cosmos;

namespace EcosystemFlows.IntegrationTests.Cosmos;

[Collection(ServiceRestartsCollection.Name)]
public sealed class CosmosRestartTests(CosmosStandIn cosmos) : IClassFixture<CosmosStandIn>
{
    [Fact]
    public async Task Restart_StandInStoppedAndStarted_KeepsItemsEtagsAndChangeFeed()
    {
        await using var test = await cosmos.CreateContainerAsync();
        var container = test.Container;
        var kept = await container.CreateItemAsync(new TestItem("kept", "p1", "v1", 1), new PartitionKey("p1"));
        var replaced = await container.UpsertItemAsync(new TestItem("replaced", "p2", "v1", 1), new PartitionKey("p2"));
        replaced = await container.ReplaceItemAsync(new TestItem("replaced", "p2", "v2", 2), "replaced", new PartitionKey("p2"));
        await container.CreateItemAsync(new TestItem("deleted", "p1", "v1", 1), new PartitionKey("p1"));
        await container.DeleteItemAsync<TestItem>("deleted", new PartitionKey("p1"));
        using var feedBefore = container.GetChangeFeedIterator<TestItem>(ChangeFeedStartFrom.Now(), ChangeFeedMode.LatestVersion);
        var feedToken = (await feedBefore.ReadNextAsync()).ContinuationToken;

        await ServiceControl.RestartAsync("cosmos");

        var keptAfter = await container.ReadItemAsync<TestItem>("kept", new PartitionKey("p1"));
        var replacedAfter = await container.ReadItemAsync<TestItem>("replaced", new PartitionKey("p2"));
        var deletedAfter = await Assert.ThrowsAsync<CosmosException>(
            () => container.ReadItemAsync<TestItem>("deleted", new PartitionKey("p1")));
        Assert.Equal(kept.ETag, keptAfter.ETag);
        Assert.Equal(new TestItem("kept", "p1", "v1", 1), keptAfter.Resource);
        Assert.Equal(replaced.ETag, replacedAfter.ETag);
        Assert.Equal("v2", replacedAfter.Resource.Name);
        Assert.Equal(HttpStatusCode.NotFound, deletedAfter.StatusCode);

        await container.CreateItemAsync(new TestItem("afterRestart", "p1", "v1", 1), new PartitionKey("p1"));
        using var feedAfter = container.GetChangeFeedIterator<TestItem>(
            ChangeFeedStartFrom.ContinuationToken(feedToken), ChangeFeedMode.LatestVersion);
        var changes = await feedAfter.ReadNextAsync();
        Assert.Equal(["afterRestart"], changes.Select(i => i.Id));
    }
}
