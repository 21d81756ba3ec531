using Azure.Core;
using DurableTask.AzureStorage;
using EcosystemFlows.Azure.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EcosystemFlows.DurableTask.Hosting;

/// <summary>
/// The one <see cref="AzureStorageOrchestrationService"/> of the process, shared by the worker and the client:
/// queues, tables and blobs of the task hub in the layout Durable Functions uses.
/// </summary>
public sealed class TaskHubService : IDisposable
{
    private readonly Lazy<AzureStorageOrchestrationServiceSettings> _settings;
    private readonly Lazy<AzureStorageOrchestrationService> _service;
    private readonly SemaphoreSlim _createLock = new(1, 1);
    private volatile bool _created;

    /// <summary>Creates the service from the hub's settings and the app's storage account.</summary>
    public TaskHubService(IOptions<DurableTaskHubOptions> hub, IOptions<StorageOptions> storage, TokenCredential credential, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(hub);
        ArgumentNullException.ThrowIfNull(storage);
        _settings = new(() => CreateSettings(hub.Value, storage.Value, credential, loggerFactory));
        _service = new(() => new AzureStorageOrchestrationService(_settings.Value));
    }

    /// <summary>The provider (created on first use).</summary>
    public AzureStorageOrchestrationService Service => _service.Value;

    /// <summary>The provider's settings, as read from <see cref="DurableTaskHubOptions"/>.</summary>
    public AzureStorageOrchestrationServiceSettings Settings => _settings.Value;

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
        if (_service.IsValueCreated)
        {
            _service.Value.Dispose();
        }

        _createLock.Dispose();
    }

    internal static AzureStorageOrchestrationServiceSettings CreateSettings(
        DurableTaskHubOptions hub, StorageOptions storage, TokenCredential credential, ILoggerFactory loggerFactory)
    {
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
