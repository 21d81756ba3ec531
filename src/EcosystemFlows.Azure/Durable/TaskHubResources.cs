using System.Net;
using global::Azure.Storage.Blobs;
using global::Azure.Storage.Queues;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Options;

namespace EcosystemFlows.Azure.Durable;

/// <summary>
/// The task hub's clients (Cosmos container, queues, blob containers) and their one-time creation. A failed
/// creation is retried by the next caller instead of being cached, so a service that starts late is tolerated.
/// </summary>
public sealed class TaskHubResources
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Database _database;
    private volatile bool _created;

    /// <summary>Creates the clients; nothing is called until <see cref="EnsureCreatedAsync"/>.</summary>
    public TaskHubResources(CosmosClient cosmos, QueueServiceClient queues, BlobServiceClient blobs, IOptions<DurableStorageOptions> options)
    {
        ArgumentNullException.ThrowIfNull(cosmos);
        ArgumentNullException.ThrowIfNull(queues);
        ArgumentNullException.ThrowIfNull(blobs);
        ArgumentNullException.ThrowIfNull(options);
        Options = options.Value;
        if (string.IsNullOrEmpty(Options.DatabaseName))
        {
            throw new OptionsValidationException(nameof(DurableStorageOptions), typeof(DurableStorageOptions), ["setting 'DurableStorage:DatabaseName' (or 'Cosmos:DatabaseName') is required"]);
        }

        _database = cosmos.GetDatabase(Options.DatabaseName);
        Instances = _database.GetContainer(Options.InstancesContainerName);
        ControlQueues = [.. Enumerable.Range(0, Options.ControlQueueCount).Select(i => queues.GetQueueClient(Options.ControlQueueName(i)))];
        WorkItems = queues.GetQueueClient(Options.WorkItemQueueName);
        Payloads = blobs.GetBlobContainerClient(Options.PayloadContainerName);
        Poison = blobs.GetBlobContainerClient(Options.PoisonContainerName);
    }

    /// <summary>The options in effect.</summary>
    public DurableStorageOptions Options { get; }

    /// <summary>Container with one document per instance, partition key <c>/instanceId</c>.</summary>
    public Container Instances { get; }

    /// <summary>Control queues, indexed by partition.</summary>
    public IReadOnlyList<QueueClient> ControlQueues { get; }

    /// <summary>Activity work-item queue.</summary>
    public QueueClient WorkItems { get; }

    /// <summary>Offloaded instance states and large messages.</summary>
    public BlobContainerClient Payloads { get; }

    /// <summary>Poisoned messages with their reasons.</summary>
    public BlobContainerClient Poison { get; }

    /// <summary>Creates whatever does not exist yet (once per process when <see cref="DurableStorageOptions.CreateIfNotExists"/>).</summary>
    public async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        if (_created || !Options.CreateIfNotExists)
        {
            return;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_created)
            {
                return;
            }

            var database = await _database.Client.CreateDatabaseIfNotExistsAsync(Options.DatabaseName, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (database.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.Created))
            {
                throw new InvalidOperationException($"Could not create Cosmos database '{Options.DatabaseName}': {database.StatusCode}");
            }

            await database.Database.CreateContainerIfNotExistsAsync(Options.InstancesContainerName, "/instanceId", cancellationToken: cancellationToken).ConfigureAwait(false);
            foreach (var queue in ControlQueues.Append(WorkItems))
            {
                await queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            await Payloads.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            await Poison.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            _created = true;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Deletes an offloaded payload blob, best effort: it is only ever deleted once nothing references it
    /// any more, so a failure leaves an orphan (removed by purge), never a dangling reference.
    /// </summary>
    public async Task DeletePayloadAsync(string? blobName)
    {
        if (blobName is null)
        {
            return;
        }

        try
        {
            await Payloads.GetBlobClient(blobName).DeleteIfExistsAsync().ConfigureAwait(false);
        }
        catch (global::Azure.RequestFailedException)
        {
            // See the summary: an orphan is harmless.
        }
    }
}
