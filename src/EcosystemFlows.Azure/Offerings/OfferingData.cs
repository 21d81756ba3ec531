using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using EcosystemFlows.Azure.Cosmos;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Options;

namespace EcosystemFlows.Azure.Offerings;

/// <summary>
/// The application's Cosmos containers (ARCHITECTURE §5): <c>offerings</c> [/offeringId] holds each
/// offering's snapshot, audit entries and support routing; <c>partners</c> [/partnerId]; <c>catalog</c>
/// [/catalogId] holds SKUs, whose id is the SKU code, so a code is unique per catalog by construction.
/// </summary>
public sealed class OfferingData(CosmosClient client, IOptions<CosmosOptions> options)
{
    /// <summary>Document JSON: web defaults (camelCase), enums as names so documents read well in the portal.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private static readonly (string Name, string PartitionKey)[] Containers =
    [
        ("offerings", "/offeringId"),
        ("partners", "/partnerId"),
        ("catalog", "/catalogId"),
    ];

    private readonly Database _database = client.GetDatabase(options.Value.DatabaseName);

    public Container Offerings => _database.GetContainer("offerings");

    public Container Partners => _database.GetContainer("partners");

    public Container Catalog => _database.GetContainer("catalog");

    /// <summary>
    /// Creates the database and containers when missing. Only for local stand-ins: in Azure they come from
    /// infra (Bicep), and the app's data-plane role cannot create them.
    /// </summary>
    public async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        var database = (await client.CreateDatabaseIfNotExistsAsync(_database.Id, cancellationToken: cancellationToken).ConfigureAwait(false)).Database;
        foreach (var (name, partitionKey) in Containers)
        {
            await database.CreateContainerIfNotExistsAsync(name, partitionKey, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Serializes <paramref name="value"/> as a document with the given id, partition-key field and <c>docType</c> (not <c>type</c>: partners have a Type).</summary>
    public static MemoryStream ToDocument<T>(T value, string id, string partitionKeyField, string partitionKey, string type, params (string Name, JsonNode Value)[] extra)
    {
        var node = JsonSerializer.SerializeToNode(value, Json)!.AsObject();
        node["id"] = id;
        node[partitionKeyField] = partitionKey;
        node["docType"] = type;
        foreach (var (name, extraValue) in extra)
        {
            node[name] = extraValue;
        }

        node.TryAdd("schemaVersion", 1);
        var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            node.WriteTo(writer);
        }

        stream.Position = 0;
        return stream;
    }

    /// <summary>Reads a document as <typeparamref name="T"/>, or null on 404.</summary>
    public static async Task<T?> ReadAsync<T>(Container container, string id, string partitionKey, CancellationToken cancellationToken)
        where T : class
    {
        using var response = await container.ReadItemStreamAsync(id, new PartitionKey(partitionKey), cancellationToken: cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        response.EnsureSuccessStatusCode();
        return await JsonSerializer.DeserializeAsync<T>(response.Content, Json, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One page of a cross-partition query, resumed from <paramref name="continuationToken"/>.</summary>
    public static async Task<Domain.Ports.Page<T>> QueryPageAsync<T>(Container container, QueryDefinition query, string? continuationToken, int pageSize, CancellationToken cancellationToken)
    {
        using var iterator = container.GetItemQueryStreamIterator(query, continuationToken, new QueryRequestOptions { MaxItemCount = pageSize });
        if (!iterator.HasMoreResults)
        {
            return new Domain.Ports.Page<T>([], null);
        }

        using var page = await iterator.ReadNextAsync(cancellationToken).ConfigureAwait(false);
        if (page.StatusCode == HttpStatusCode.BadRequest && continuationToken is not null)
        {
            // The caller's token, not our query, is what the service refused.
            throw new Domain.Ports.InvalidContinuationTokenException($"Cosmos DB refused the continuation token: {page.ErrorMessage}");
        }

        page.EnsureSuccessStatusCode();
        var body = await JsonNode.ParseAsync(page.Content, cancellationToken: cancellationToken).ConfigureAwait(false);
        var items = body!["Documents"]!.AsArray().Select(d => d.Deserialize<T>(Json)!).ToList();
        return new Domain.Ports.Page<T>(items, page.ContinuationToken);
    }

    /// <summary>Runs a parameterized query to the end (all pages of up to <paramref name="maxItemCount"/> documents), deserializing each document.</summary>
    public static async Task<List<T>> QueryAllAsync<T>(Container container, QueryDefinition query, string? partitionKey, CancellationToken cancellationToken, int maxItemCount = 100)
    {
        var results = new List<T>();
        var options = new QueryRequestOptions { MaxItemCount = maxItemCount };
        if (partitionKey is not null)
        {
            options.PartitionKey = new PartitionKey(partitionKey);
        }

        using var iterator = container.GetItemQueryStreamIterator(query, requestOptions: options);
        while (iterator.HasMoreResults)
        {
            using var page = await iterator.ReadNextAsync(cancellationToken).ConfigureAwait(false);
            page.EnsureSuccessStatusCode();
            var body = await JsonNode.ParseAsync(page.Content, cancellationToken: cancellationToken).ConfigureAwait(false);
            foreach (var document in body!["Documents"]!.AsArray())
            {
                results.Add(document.Deserialize<T>(Json)!);
            }
        }

        return results;
    }
}
