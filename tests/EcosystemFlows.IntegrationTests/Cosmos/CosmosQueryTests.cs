using Microsoft.Azure.Cosmos;

namespace EcosystemFlows.IntegrationTests.Cosmos;

[Collection("Cosmos")]
public sealed class CosmosQueryTests(CosmosStandIn cosmos)
{
    private const int PageSize = 2;

    [Fact]
    public async Task Query_ParameterizedInOnePartition_PagesOnlyThatPartition()
    {
        await using var test = await cosmos.CreateContainerAsync();
        await SeedAsync(test.Container);
        var query = new QueryDefinition("SELECT * FROM c WHERE c.count >= @min").WithParameter("@min", 0);
        var options = new QueryRequestOptions { PartitionKey = new PartitionKey("a"), MaxItemCount = PageSize };

        var (items, pages) = await ReadAllPagesAsync(test.Container, query, options);

        Assert.Equal(["a0", "a1", "a2", "a3", "a4"], items.Select(i => i.Id).Order());
        Assert.All(items, i => Assert.Equal("a", i.Pk));
        Assert.Equal([2, 2, 1], pages);
    }

    [Fact]
    public async Task Query_CrossPartition_PagesAllItems()
    {
        await using var test = await cosmos.CreateContainerAsync();
        await SeedAsync(test.Container);
        var query = new QueryDefinition("SELECT * FROM c WHERE c.name = @name").WithParameter("@name", "seed");
        var options = new QueryRequestOptions { MaxItemCount = PageSize };

        var (items, pages) = await ReadAllPagesAsync(test.Container, query, options);

        Assert.Equal(8, items.Count);
        Assert.Equal(["a", "b"], items.Select(i => i.Pk).Distinct().Order());
        Assert.All(pages, count => Assert.InRange(count, 1, PageSize));
        Assert.True(pages.Count >= 4, $"expected at least 4 pages of {PageSize}, got {pages.Count}");
    }

    [Fact]
    public async Task Query_OrderByDescendingCrossPartition_ReturnsServerOrderAcrossPages()
    {
        await using var test = await cosmos.CreateContainerAsync();
        await SeedAsync(test.Container);
        var query = new QueryDefinition("SELECT * FROM c ORDER BY c.id DESC");

        var (items, _) = await ReadAllPagesAsync(test.Container, query, new QueryRequestOptions { MaxItemCount = PageSize });

        Assert.Equal(["b2", "b1", "b0", "a4", "a3", "a2", "a1", "a0"], items.Select(i => i.Id));
    }

    [Fact]
    public async Task Query_CountInOnePartitionAndAcrossPartitions_ReturnsTotals()
    {
        await using var test = await cosmos.CreateContainerAsync();
        await SeedAsync(test.Container);
        var count = new QueryDefinition("SELECT VALUE COUNT(1) FROM c");

        using var inPartition = test.Container.GetItemQueryIterator<int>(
            count, requestOptions: new QueryRequestOptions { PartitionKey = new PartitionKey("b") });
        using var acrossPartitions = test.Container.GetItemQueryIterator<int>(count);

        Assert.Equal(3, (await inPartition.ReadNextAsync()).Single());
        Assert.Equal(8, (await acrossPartitions.ReadNextAsync()).Single());
    }

    private static async Task SeedAsync(Container container)
    {
        for (var i = 0; i < 5; i++)
        {
            await container.CreateItemAsync(new TestItem($"a{i}", "a", "seed", i), new PartitionKey("a"));
        }

        for (var i = 0; i < 3; i++)
        {
            await container.CreateItemAsync(new TestItem($"b{i}", "b", "seed", i), new PartitionKey("b"));
        }
    }

    /// <summary>
    /// Reads one page per iterator and resumes from its continuation token with a fresh iterator, the
    /// way an API pages results across requests.
    /// </summary>
    private static async Task<(List<TestItem> Items, List<int> Pages)> ReadAllPagesAsync(
        Container container, QueryDefinition query, QueryRequestOptions options)
    {
        var items = new List<TestItem>();
        var pages = new List<int>();
        string? continuation = null;
        do
        {
            using var iterator = container.GetItemQueryIterator<TestItem>(query, continuation, options);
            var page = await iterator.ReadNextAsync();
            if (page.Count > 0)
            {
                pages.Add(page.Count);
            }

            items.AddRange(page);
            continuation = page.ContinuationToken;
            Assert.True(pages.Count <= 10, "paging did not terminate");
        }
        while (continuation is not null);

        return (items, pages);
    }
}
