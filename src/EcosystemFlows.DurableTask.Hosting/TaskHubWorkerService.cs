using DurableTask.Core;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Hosting;
using Microsoft.DurableTask.Worker.Shims;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EcosystemFlows.DurableTask.Hosting;

/// <summary>
/// The Durable Task SDK's worker (<see cref="DurableTaskWorker"/>) run by the Durable Task Framework: a
/// <see cref="TaskHubWorker"/> over the Azure Storage provider executes the registered orchestrators and
/// activities through the SDK's own shims (<see cref="DurableTaskShimFactory"/>), so the SDK's replay,
/// serialization and error semantics apply unchanged. Registered with <c>UseBuildTarget</c>.
/// </summary>
public sealed partial class TaskHubWorkerService : DurableTaskWorker
{
    private readonly TaskHubService _hub;
    private readonly IServiceProvider _services;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly DurableTaskShimFactory _shims;
    private TaskHubWorker? _worker;

    /// <summary>Called by the SDK's worker builder with the builder's name and task factory.</summary>
    public TaskHubWorkerService(
        string name,
        IDurableTaskFactory factory,
        IOptionsMonitor<DurableTaskWorkerOptions> workerOptions,
        TaskHubService hub,
        IServiceProvider services,
        ILoggerFactory loggerFactory)
        : base(name, factory)
    {
        ArgumentNullException.ThrowIfNull(workerOptions);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _hub = hub;
        _services = services;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<TaskHubWorkerService>();
        _shims = new DurableTaskShimFactory(workerOptions.Get(name), loggerFactory);
    }

    /// <inheritdoc />
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // First end ExecuteAsync (it may still be waiting for storage or starting the worker), then stop the worker
        // once, whoever calls: the host and the container may both stop this service.
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (Interlocked.Exchange(ref _worker, null) is { } worker)
        {
            // Not forced: episodes and activities in flight finish and are checkpointed, so a clean stop redoes nothing.
            await worker.StopAsync(isForced: false).ConfigureAwait(false);
            worker.Dispose();
        }
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Storage that is down must leave the app running but not ready: retry creating the hub until it answers.
        for (var delay = TimeSpan.FromSeconds(1); ; delay = TimeSpan.FromSeconds(Math.Min(delay.TotalSeconds * 2, 30)))
        {
            try
            {
                await _hub.EnsureCreatedAsync(stoppingToken).ConfigureAwait(false);
                break;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogHubNotCreated(_logger, ex, delay.TotalSeconds);
                await Task.Delay(delay, stoppingToken).ConfigureAwait(false);
            }
        }

        var worker = new TaskHubWorker(
            _hub.Service,
            new OrchestrationShims(Factory, _shims, _services),
            new ActivityShims(Factory, _shims, _services),
            _loggerFactory)
        {
            // The SDK's shims read FailureDetails (TaskFailedException.FailureDetails), not serialized exceptions.
            ErrorPropagationMode = ErrorPropagationMode.UseFailureDetails,
        };
        WorkflowTelemetry.AddTo(worker);
        _worker = worker;
        await worker.StartAsync().ConfigureAwait(false);
        LogStarted(_logger, _hub.HubName, _hub.WorkerId);
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Task hub not reachable yet; retrying in {DelaySeconds} s")]
    private static partial void LogHubNotCreated(ILogger logger, Exception exception, double delaySeconds);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Durable Task worker started on task hub {TaskHub} as {WorkerId}")]
    private static partial void LogStarted(ILogger logger, string taskHub, string workerId);

    /// <summary>Orchestrations by name: a new SDK orchestrator and its shim per episode, as the SDK's own workers do.</summary>
    private sealed class OrchestrationShims(IDurableTaskFactory factory, DurableTaskShimFactory shims, IServiceProvider services)
        : INameVersionObjectManager<TaskOrchestration>
    {
        public void Add(ObjectCreator<TaskOrchestration> creator) =>
            throw new NotSupportedException("Orchestrators are registered with the Durable Task SDK's AddTasks.");

        public TaskOrchestration? GetObject(string name, string? version) =>
            factory.TryCreateOrchestrator(new TaskName(name), services, out var orchestrator)
                ? shims.CreateOrchestration(new TaskName(name), orchestrator)
                : null;
    }

    /// <summary>Activities by name: a new SDK activity and its shim per execution.</summary>
    private sealed class ActivityShims(IDurableTaskFactory factory, DurableTaskShimFactory shims, IServiceProvider services)
        : INameVersionObjectManager<TaskActivity>
    {
        public void Add(ObjectCreator<TaskActivity> creator) =>
            throw new NotSupportedException("Activities are registered with the Durable Task SDK's AddTasks.");

        public TaskActivity? GetObject(string name, string? version) =>
            factory.TryCreateActivity(new TaskName(name), services, out var activity)
                ? shims.CreateActivity(new TaskName(name), activity)
                : null;
    }
}
