using System.Diagnostics;
using System.Net;
using EcosystemFlows.Azure.Configuration;
using EcosystemFlows.Azure.Cosmos;
using EcosystemFlows.Azure.Durable;
using EcosystemFlows.Azure.Storage;
using EcosystemFlows.Durable;
using EcosystemFlows.Durable.CrashWorker;
using EcosystemFlows.Durable.Ports;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

var hub = Setting("CRASH_HUB", null) ?? throw new InvalidOperationException("CRASH_HUB is required");
var crash = new CrashPoint(Setting("CRASH_AT", "none")!, int.Parse(Setting("CRASH_AFTER", "1")!, System.Globalization.CultureInfo.InvariantCulture));
var workerId = Setting("CRASH_WORKER_ID", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture))!;

var builder = Host.CreateApplicationBuilder();
builder.Logging.SetMinimumLevel(LogLevel.Warning);
var storage = new StorageOptions { ConnectionString = Setting("Storage__ConnectionString", "UseDevelopmentStorage=true")!, NetworkTimeout = TimeSpan.FromSeconds(5) };
var cosmos = new CosmosOptions
{
    AccountEndpoint = new Uri(Setting("Cosmos__AccountEndpoint", "http://127.0.0.1:8081/")!),
    AccountKey = Setting("Cosmos__AccountKey", "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==")!,
    DatabaseName = hub,
};
var credential = AzureCredentials.Create();
var cosmosClient = CosmosClients.Create(cosmos, credential);
var effects = (await (await cosmosClient.CreateDatabaseIfNotExistsAsync(hub)).Database.CreateContainerIfNotExistsAsync("effects", "/id")).Container;

builder.Services.AddSingleton(Options.Create(cosmos));
builder.Services.AddSingleton(cosmosClient);
builder.Services.AddSingleton(_ => StorageClients.CreateBlobServiceClient(storage, credential));
builder.Services.AddSingleton(_ => StorageClients.CreateQueueServiceClient(storage, credential));
builder.Services.AddSingleton(crash);
builder.Services.AddSingleton(new EffectStore(effects, workerId));

// Decorators first: the backend registers with TryAdd, so these wrap the real adapters.
builder.Services.AddSingleton<IInstanceStore>(sp => new CrashingStore(sp.GetRequiredService<CosmosInstanceStore>(), crash));
builder.Services.AddSingleton<IMessageDispatcher>(sp => new CrashingDispatcher(sp.GetRequiredService<StorageQueueDispatcher>(), crash));
builder.Services.AddDurableTask(r => r.AddOrchestrator<CrashFlow>().AddActivity<RecordEffect>())
    .UseAzureStorageBackend(sectionPath: null, configure: o =>
    {
        o.TaskHubName = hub;
        o.MaxPollingInterval = TimeSpan.FromMilliseconds(50);

        // Small receive batches, so two workers polling one hub both get a share of what becomes visible.
        o.ReceiveBatchSize = 2;
    });
builder.Services.Configure<DurableTaskOptions>(o =>
{
    // Short leases so the messages a killed worker held come back within seconds.
    o.VisibilityTimeout = TimeSpan.FromSeconds(3);
    // Few slots: a busy worker stops taking new instances, so the other one gets its share.
    o.MaxConcurrentOrchestrations = 2;
    o.MaxConcurrentActivities = 8;
});

using var host = builder.Build();
await host.StartAsync();
Console.WriteLine("crash-worker: ready");
await host.WaitForShutdownAsync();

static string? Setting(string name, string? fallback) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : fallback;

namespace EcosystemFlows.Durable.CrashWorker
{
    /// <summary>Kills this process with SIGKILL at the n-th hit of the configured point.</summary>
    public sealed class CrashPoint(string point, int after)
    {
        private int _hits;

        public void Hit(string at)
        {
            if (at == point && Interlocked.Increment(ref _hits) == after)
            {
                Console.Error.WriteLine($"crash-worker: SIGKILL at {at} (hit {after})");
                Process.GetCurrentProcess().Kill();
            }
        }
    }

    /// <summary>The activity's side effect: a document per idempotency key (created once), plus one per attempt.</summary>
    public sealed class EffectStore(Container container, string workerId)
    {
        public async Task RecordAsync(string idempotencyKey, string input)
        {
            var attempt = new { id = $"attempt|{idempotencyKey}|{Guid.NewGuid():N}", key = idempotencyKey, worker = workerId };
            await container.CreateItemAsync(attempt, new PartitionKey(attempt.id));
            try
            {
                var effect = new { id = $"effect|{idempotencyKey}", key = idempotencyKey, input, worker = workerId };
                await container.CreateItemAsync(effect, new PartitionKey(effect.id));
            }
            catch (CosmosException ex) when (ex.StatusCode == HttpStatusCode.Conflict)
            {
                // Already done by an earlier attempt: the idempotency key makes the side effect happen once.
            }
        }
    }

    public sealed class RecordEffect(EffectStore effects, CrashPoint crash) : TaskActivity<string, int>
    {
        public override async Task<int> RunAsync(TaskActivityContext context, string input)
        {
            await effects.RecordAsync(context.IdempotencyKey, input);
            crash.Hit("activity-effect");
            return 1;
        }
    }

    internal sealed class CrashingStore(IInstanceStore inner, CrashPoint crash) : IInstanceStore
    {
        public Task<StoredInstance?> GetAsync(string instanceId, CancellationToken cancellationToken) => inner.GetAsync(instanceId, cancellationToken);

        public Task<string?> TryCreateAsync(InstanceState state, CancellationToken cancellationToken) => inner.TryCreateAsync(state, cancellationToken);

        public async Task<string?> TryReplaceAsync(InstanceState state, string etag, CancellationToken cancellationToken)
        {
            var result = await inner.TryReplaceAsync(state, etag, cancellationToken);
            if (result is not null && state.Outbox.Count > 0)
            {
                crash.Hit("after-commit");
            }

            return result;
        }

        public Task<bool> DeleteAsync(string instanceId, CancellationToken cancellationToken) => inner.DeleteAsync(instanceId, cancellationToken);

        public Task<InstanceQueryPage> QueryAsync(InstanceQuery query, CancellationToken cancellationToken) => inner.QueryAsync(query, cancellationToken);
    }

    internal sealed class CrashingDispatcher(IMessageDispatcher inner, CrashPoint crash) : IMessageDispatcher
    {
        public TimeSpan? MaximumDelay => inner.MaximumDelay;

        public Task SendAsync(DispatchQueue queue, TaskMessage message, DateTimeOffset? visibleAt, CancellationToken cancellationToken) =>
            inner.SendAsync(queue, message, visibleAt, cancellationToken);

        public Task<MessageLease> SendLeasedAsync(DispatchQueue queue, TaskMessage message, TimeSpan visibilityTimeout, CancellationToken cancellationToken) =>
            inner.SendLeasedAsync(queue, message, visibilityTimeout, cancellationToken);

        public Task<MessageLease?> ReceiveAsync(DispatchQueue queue, TimeSpan visibilityTimeout, CancellationToken cancellationToken) =>
            inner.ReceiveAsync(queue, visibilityTimeout, cancellationToken);

        public Task<bool> RenewAsync(MessageLease lease, TimeSpan visibilityTimeout, CancellationToken cancellationToken) =>
            inner.RenewAsync(lease, visibilityTimeout, cancellationToken);

        public Task CompleteAsync(MessageLease lease, CancellationToken cancellationToken)
        {
            if (lease.Queue == DispatchQueue.Control)
            {
                crash.Hit("before-delete");
            }

            return inner.CompleteAsync(lease, cancellationToken);
        }

        public Task AbandonAsync(MessageLease lease, CancellationToken cancellationToken) => inner.AbandonAsync(lease, cancellationToken);

        public Task PoisonAsync(MessageLease lease, string reason, CancellationToken cancellationToken) => inner.PoisonAsync(lease, reason, cancellationToken);
    }
}
