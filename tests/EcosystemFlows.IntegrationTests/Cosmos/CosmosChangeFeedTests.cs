using System.Net;
using Microsoft.Azure.Cosmos;

namespace EcosystemFlows.IntegrationTests.Cosmos;

[Collection("Cosmos")]
public sealed class CosmosChangeFeedTests(CosmosStandIn cosmos)
{
    [Fact]
    public async Task ChangeFeed_FromBeginning_ReturnsLatestVersionOfEachItemThenNotModified()
    {
        await using var test = await cosmos.CreateContainerAsync();
        var container = test.Container;
        await container.CreateItemAsync(new TestItem("a", "p1", "v1", 1), new PartitionKey("p1"));
        await container.CreateItemAsync(new TestItem("b", "p2", "v1", 1), new PartitionKey("p2"));
        await container.ReplaceItemAsync(new TestItem("a", "p1", "v2", 2), "a", new PartitionKey("p1"));
        await container.CreateItemAsync(new TestItem("c", "p1", "v1", 1), new PartitionKey("p1"));

        var (first, token) = await ReadUntilNotModifiedAsync(container, ChangeFeedStartFrom.Beginning(), pageSize: 2);
        var (second, _) = await ReadUntilNotModifiedAsync(container, ChangeFeedStartFrom.ContinuationToken(token), pageSize: 2);

        Assert.Equal(["b", "a", "c"], first.Select(i => i.Id));
        Assert.Equal("v2", first.Single(i => i.Id == "a").Name);
        Assert.Empty(second);
    }

    [Fact]
    public async Task ChangeFeed_FromNowResumedWithContinuation_ReturnsOnlyNewWrites()
    {
        await using var test = await cosmos.CreateContainerAsync();
        var container = test.Container;
        await container.CreateItemAsync(new TestItem("old", "p1", "before", 0), new PartitionKey("p1"));

        var (beforeWrites, token) = await ReadUntilNotModifiedAsync(container, ChangeFeedStartFrom.Now(), pageSize: 10);
        await container.CreateItemAsync(new TestItem("new1", "p1", "after", 1), new PartitionKey("p1"));
        await container.CreateItemAsync(new TestItem("new2", "p2", "after", 2), new PartitionKey("p2"));
        var (afterWrites, token2) = await ReadUntilNotModifiedAsync(container, ChangeFeedStartFrom.ContinuationToken(token), pageSize: 10);
        var (again, _) = await ReadUntilNotModifiedAsync(container, ChangeFeedStartFrom.ContinuationToken(token2), pageSize: 10);

        Assert.Empty(beforeWrites);
        Assert.Equal(["new1", "new2"], afterWrites.Select(i => i.Id));
        Assert.Empty(again);
    }

    [Fact]
    public async Task ChangeFeed_PartitionKeyFeedRange_ReturnsOnlyThatPartition()
    {
        await using var test = await cosmos.CreateContainerAsync();
        var container = test.Container;
        await container.CreateItemAsync(new TestItem("a", "p1", "v1", 1), new PartitionKey("p1"));
        await container.CreateItemAsync(new TestItem("b", "p2", "v1", 1), new PartitionKey("p2"));
        await container.CreateItemAsync(new TestItem("c", "p1", "v1", 1), new PartitionKey("p1"));

        var (items, _) = await ReadUntilNotModifiedAsync(
            container, ChangeFeedStartFrom.Beginning(FeedRange.FromPartitionKey(new PartitionKey("p1"))), pageSize: 10);

        Assert.Equal(["a", "c"], items.Select(i => i.Id));
    }

    /// <summary>
    /// Drains the change feed from a start point until the service answers 304, returning the items
    /// and the continuation token to resume from.
    /// </summary>
    private static async Task<(List<TestItem> Items, string Continuation)> ReadUntilNotModifiedAsync(
        Container container, ChangeFeedStartFrom start, int pageSize)
    {
        var items = new List<TestItem>();
        using var iterator = container.GetChangeFeedIterator<TestItem>(
            start, ChangeFeedMode.LatestVersion, new ChangeFeedRequestOptions { PageSizeHint = pageSize });
        for (var pages = 0; pages < 20; pages++)
        {
            var page = await iterator.ReadNextAsync();
            if (page.StatusCode == HttpStatusCode.NotModified)
            {
                Assert.Equal(0, page.Count);
                return (items, page.ContinuationToken);
            }

            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.InRange(page.Count, 1, pageSize);
            items.AddRange(page);
        }

        throw new InvalidOperationException("the change feed never reported NotModified");
    }
}
