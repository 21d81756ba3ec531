using EcosystemFlows.Azure.Configuration;
using EcosystemFlows.Azure.Storage;
using global::Azure.Storage.Blobs;
using global::Azure.Storage.Queues;

namespace EcosystemFlows.IntegrationTests.Storage;

/// <summary>Clients for the local Azurite, built the way the app builds them (short timeouts, retry).</summary>
public sealed class StorageFixture
{
    public StorageFixture()
    {
        var options = new StorageOptions
        {
            ConnectionString = LocalServices.StorageConnectionString,
            NetworkTimeout = TimeSpan.FromSeconds(5),
            MaxRetries = 1,
        };
        // A connection string is set, so the credential is never asked for a token.
        var unusedCredential = AzureCredentials.Create();
        Blobs = StorageClients.CreateBlobServiceClient(options, unusedCredential);
        Queues = StorageClients.CreateQueueServiceClient(options, unusedCredential);
    }

    public BlobServiceClient Blobs { get; }

    public QueueServiceClient Queues { get; }
}

/// <summary>Storage tests share one collection: one of them restarts Azurite.</summary>
[CollectionDefinition("Storage")]
public sealed class StorageCollection : ICollectionFixture<StorageFixture>;
