using Azure.Core;
using DurableTask.AzureStorage;
using DurableTask.Core;
using DurableTask.Core.Query;
using EcosystemFlows.Azure.Storage;
using Microsoft.Extensions.Logging;

namespace EcosystemFlows.DurableTask.Hosting;

/// <summary>
/// The one orchestration service of the process, shared by the worker and the client: in the app the Azure
/// Storage provider (queues, tables and blobs of the task hub in the layout Durable Functions uses); any
/// provider that is also a query and purge client works, which lets tests run the same glue in memory.
/// </summary>
public sealed class TaskHubService : IDisposable
{
    private readonly SemaphoreSlim _createLock = new(1, 1);
    private volatile bool _created;

    /// <summary>Wraps <paramref name="service"/>, which must also implement the client, query and purge interfaces.</summary>
    public TaskHubService(IOrchestrationService service, string hubName, string workerId)
    {
        ArgumentNullException.ThrowIfNull(service);
        Service = service;
        Client = service as IOrchestrationServiceClient ?? throw new ArgumentException("The orchestration service must also be its client.", nameof(service));
        Query = service as IOrchestrationServiceQueryClient ?? throw new ArgumentException("The orchestration service must answer instance queries.", nameof(service));
        Purge = service as IOrchestrationServicePurgeClient ?? throw new ArgumentException("The orchestration service must purge instances.", nameof(service));
        HubName = hubName;
        WorkerId = workerId;
    }

    /// <summary>What the worker runs on.</summary>
    public IOrchestrationService Service { get; }

    /// <summary>Starts, events, terminations, state and history.</summary>
    public IOrchestrationServiceClient Client { get; }

    /// <summary>Instance listings.</summary>
    public IOrchestrationServiceQueryClient Query { get; }

    /// <summary>Instance deletion.</summary>
    public IOrchestrationServicePurgeClient Purge { get; }

    /// <summary>The task hub's name.</summary>
    public string HubName { get; }

    /// <summary>This worker's identity in partition leases.</summary>
    public string WorkerId { get; }

    /// <summary>The Azure Storage provider configured from <paramref name="hub"/> on the app's storage account.</summary>
    public static TaskHubService ForAzureStorage(DurableTaskHubOptions hub, StorageOptions storage, TokenCredential credential, ILoggerFactory loggerFactory)
    {
        var settings = CreateSettings(hub, storage, credential, loggerFactory);
        return new TaskHubService(new AzureStorageOrchestrationService(settings), settings.TaskHubName, settings.WorkerId);
    }

    /// <summary>Creates the hub's queues, tables and containers once per process (idempotent in storage too).</summary>
    public async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        if (_created)
        {
            return;
        }

        await _createLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_created)
            {
                await Service.CreateIfNotExistsAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
                _created = true;
            }
        }
        finally
        {
            _createLock.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        (Service as IDisposable)?.Dispose();
        _createLock.Dispose();
    }

    internal static AzureStorageOrchestrationServiceSettings CreateSettings(
        DurableTaskHubOptions hub, StorageOptions storage, TokenCredential credential, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(hub);
        ArgumentNullException.ThrowIfNull(storage);
        var provider = hub.StorageProvider;
        return new AzureStorageOrchestrationServiceSettings
        {
            TaskHubName = hub.HubName,
            WorkerId = string.IsNullOrWhiteSpace(hub.WorkerId) ? Environment.MachineName : hub.WorkerId,
            StorageAccountClientProvider = storage.UsesIdentity
                ? new StorageAccountClientProvider(storage.BlobServiceUri!, storage.QueueServiceUri!, TableServiceUri(storage.BlobServiceUri!), credential)
                : new StorageAccountClientProvider(storage.ConnectionString),
            PartitionCount = provider.PartitionCount,
            ControlQueueBatchSize = provider.ControlQueueBatchSize,
            MaxQueuePollingInterval = provider.MaxQueuePollingInterval,
            ControlQueueVisibilityTimeout = provider.ControlQueueVisibilityTimeout,
            WorkItemQueueVisibilityTimeout = provider.WorkItemQueueVisibilityTimeout,
            LeaseInterval = provider.PartitionLeaseInterval,
            MaxConcurrentTaskActivityWorkItems = hub.MaxConcurrentActivityFunctions,
            MaxConcurrentTaskOrchestrationWorkItems = hub.MaxConcurrentOrchestratorFunctions,
            ExtendedSessionsEnabled = hub.ExtendedSessionsEnabled,
            ExtendedSessionIdleTimeout = TimeSpan.FromSeconds(hub.ExtendedSessionIdleTimeoutInSeconds),
            // Duplicate starts are refused by the dedupe statuses the client passes (Durable Functions' behaviour).
            ThrowExceptionOnInvalidDedupeStatus = true,
            LoggerFactory = loggerFactory,
        };
    }

    /// <summary>The account's table endpoint, next to its blob endpoint (identity mode has no connection string to read it from).</summary>
    internal static Uri TableServiceUri(Uri blobServiceUri) =>
        new UriBuilder(blobServiceUri) { Host = blobServiceUri.Host.Replace(".blob.", ".table.", StringComparison.OrdinalIgnoreCase) }.Uri;
}
