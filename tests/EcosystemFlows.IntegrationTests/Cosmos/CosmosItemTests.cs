using System.Net;
using Microsoft.Azure.Cosmos;

namespace EcosystemFlows.IntegrationTests.Cosmos;

[Collection("Cosmos")]
public sealed class CosmosItemTests(CosmosStandIn cosmos)
{
    [Fact]
    public async Task CreateReadReplaceDelete_NewItem_RoundTrips()
    {
        await using var test = await cosmos.CreateContainerAsync();
        var container = test.Container;
        var pk = new PartitionKey("p1");

        var created = await container.CreateItemAsync(new TestItem("a", "p1", "first", 1), pk);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.False(string.IsNullOrEmpty(created.ETag));

        var read = await container.ReadItemAsync<TestItem>("a", pk);
        Assert.Equal(new TestItem("a", "p1", "first", 1), read.Resource);
        Assert.Equal(created.ETag, read.ETag);

        var replaced = await container.ReplaceItemAsync(new TestItem("a", "p1", "second", 2), "a", pk);
        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        Assert.NotEqual(created.ETag, replaced.ETag);
        Assert.Equal("second", (await container.ReadItemAsync<TestItem>("a", pk)).Resource.Name);

        var upserted = await container.UpsertItemAsync(new TestItem("b", "p1", "upserted", 3), pk);
        Assert.Equal(HttpStatusCode.Created, upserted.StatusCode);

        var deleted = await container.DeleteItemAsync<TestItem>("a", pk);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        var afterDelete = await Assert.ThrowsAsync<CosmosException>(() => container.ReadItemAsync<TestItem>("a", pk));
        Assert.Equal(HttpStatusCode.NotFound, afterDelete.StatusCode);
    }

    [Fact]
    public async Task ReadReplaceDelete_MissingItem_Return404()
    {
        await using var test = await cosmos.CreateContainerAsync();
        var container = test.Container;
        var pk = new PartitionKey("p1");
        await container.CreateItemAsync(new TestItem("exists", "p1", "x", 0), pk);

        var read = await Assert.ThrowsAsync<CosmosException>(() => container.ReadItemAsync<TestItem>("missing", pk));
        var wrongPartition = await Assert.ThrowsAsync<CosmosException>(
            () => container.ReadItemAsync<TestItem>("exists", new PartitionKey("p2")));
        var replace = await Assert.ThrowsAsync<CosmosException>(
            () => container.ReplaceItemAsync(new TestItem("missing", "p1", "x", 0), "missing", pk));
        var delete = await Assert.ThrowsAsync<CosmosException>(() => container.DeleteItemAsync<TestItem>("missing", pk));

        Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, wrongPartition.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, replace.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, delete.StatusCode);
    }

    [Fact]
    public async Task CreateItem_DuplicateIdInSamePartition_Returns409()
    {
        await using var test = await cosmos.CreateContainerAsync();
        var container = test.Container;
        await container.CreateItemAsync(new TestItem("dup", "p1", "first", 1), new PartitionKey("p1"));

        var conflict = await Assert.ThrowsAsync<CosmosException>(
            () => container.CreateItemAsync(new TestItem("dup", "p1", "second", 2), new PartitionKey("p1")));
        var otherPartition = await container.CreateItemAsync(new TestItem("dup", "p2", "other", 3), new PartitionKey("p2"));

        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.Equal(HttpStatusCode.Created, otherPartition.StatusCode);
        Assert.Equal("first", (await container.ReadItemAsync<TestItem>("dup", new PartitionKey("p1"))).Resource.Name);
    }

    [Fact]
    public async Task ReplaceItem_StaleIfMatchEtag_Returns412()
    {
        await using var test = await cosmos.CreateContainerAsync();
        var container = test.Container;
        var pk = new PartitionKey("p1");
        var created = await container.CreateItemAsync(new TestItem("a", "p1", "v1", 1), pk);
        var current = await container.ReplaceItemAsync(
            new TestItem("a", "p1", "v2", 2), "a", pk, new ItemRequestOptions { IfMatchEtag = created.ETag });

        var stale = await Assert.ThrowsAsync<CosmosException>(() => container.ReplaceItemAsync(
            new TestItem("a", "p1", "v3", 3), "a", pk, new ItemRequestOptions { IfMatchEtag = created.ETag }));

        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.StatusCode);
        Assert.Equal(HttpStatusCode.OK, current.StatusCode);
        Assert.Equal("v2", (await container.ReadItemAsync<TestItem>("a", pk)).Resource.Name);
    }

    [Fact]
    public async Task ReadItem_IfNoneMatchCurrentEtag_Returns304()
    {
        await using var test = await cosmos.CreateContainerAsync();
        var container = test.Container;
        var pk = new PartitionKey("p1");
        var created = await container.CreateItemAsync(new TestItem("a", "p1", "v1", 1), pk);

        using var unchanged = await container.ReadItemStreamAsync("a", pk, new ItemRequestOptions { IfNoneMatchEtag = created.ETag });
        await container.ReplaceItemAsync(new TestItem("a", "p1", "v2", 2), "a", pk);
        using var changed = await container.ReadItemStreamAsync("a", pk, new ItemRequestOptions { IfNoneMatchEtag = created.ETag });

        Assert.Equal(HttpStatusCode.NotModified, unchanged.StatusCode);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
    }

    [Fact]
    public async Task PatchItem_SetAndIncrement_UpdatesStoredItem()
    {
        await using var test = await cosmos.CreateContainerAsync();
        var container = test.Container;
        var pk = new PartitionKey("p1");
        var created = await container.CreateItemAsync(new TestItem("a", "p1", "before", 1), pk);

        var patched = await container.PatchItemAsync<TestItem>("a", pk,
            [PatchOperation.Set("/name", "after"), PatchOperation.Increment("/count", 41)]);

        Assert.Equal(new TestItem("a", "p1", "after", 42), patched.Resource);
        Assert.NotEqual(created.ETag, patched.ETag);
        Assert.Equal(new TestItem("a", "p1", "after", 42), (await container.ReadItemAsync<TestItem>("a", pk)).Resource);
    }
}
