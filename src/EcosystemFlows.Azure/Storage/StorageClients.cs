using Azure.Core;
using global::Azure.Storage.Blobs;
using global::Azure.Storage.Queues;

namespace EcosystemFlows.Azure.Storage;

/// <summary>Creates storage clients with short per-attempt timeouts and exponential retry.</summary>
public static class StorageClients
{
    /// <summary>A blob service client: connection string, else service URI with <paramref name="credential"/>.</summary>
    public static BlobServiceClient CreateBlobServiceClient(StorageOptions options, TokenCredential credential)
    {
        var clientOptions = new BlobClientOptions();
        ApplyRetry(clientOptions.Retry, options);
        return options.UsesIdentity
            ? new BlobServiceClient(options.BlobServiceUri, credential, clientOptions)
            : new BlobServiceClient(options.ConnectionString, clientOptions);
    }

    /// <summary>A queue service client: connection string, else service URI with <paramref name="credential"/>.</summary>
    public static QueueServiceClient CreateQueueServiceClient(StorageOptions options, TokenCredential credential)
    {
        var clientOptions = new QueueClientOptions();
        ApplyRetry(clientOptions.Retry, options);
        return options.UsesIdentity
            ? new QueueServiceClient(options.QueueServiceUri, credential, clientOptions)
            : new QueueServiceClient(options.ConnectionString, clientOptions);
    }

    private static void ApplyRetry(RetryOptions retry, StorageOptions options)
    {
        retry.Mode = RetryMode.Exponential;
        retry.MaxRetries = options.MaxRetries;
        retry.Delay = TimeSpan.FromMilliseconds(200);
        retry.MaxDelay = TimeSpan.FromSeconds(5);
        retry.NetworkTimeout = options.NetworkTimeout;
    }
}
