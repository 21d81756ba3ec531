using DurableTask.Core;
using DurableTask.Core.Middleware;
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
        worker.AddOrchestrationDispatcherMiddleware(ParentAwareOrchestration.TellParentAsync);
        WorkflowTelemetry.AddTo(worker);
        _worker = worker;
        await worker.StartAsync().ConfigureAwait(false);
        LogStarted(_logger, _hub.HubName, _hub.WorkerId);
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Task hub not reachable yet; retrying in {DelaySeconds} s")]
    private static partial void LogHubNotCreated(ILogger logger, Exception exception, double delaySeconds);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Durable Task worker started on task hub {TaskHub} as {WorkerId}")]
    private static partial void LogStarted(ILogger logger, string taskHub, string workerId);

    /// <summary>
    /// Orchestrations by name: a new SDK orchestrator per episode, as the SDK's own workers do, whose shim is made when
    /// the episode runs. The framework asks for the orchestration by name and version before its dispatch pipeline runs,
    /// so only <see cref="ParentAwareOrchestration.TellParentAsync"/> (in that pipeline) sees the instance's history, and
    /// with it the parent a sub-orchestration's <c>TaskOrchestrationContext.Parent</c> must report.
    /// </summary>
    private sealed class OrchestrationShims(IDurableTaskFactory factory, DurableTaskShimFactory shims, IServiceProvider services)
        : INameVersionObjectManager<TaskOrchestration>
    {
        public void Add(ObjectCreator<TaskOrchestration> creator) =>
            throw new NotSupportedException("Orchestrators are registered with the Durable Task SDK's AddTasks.");

        public TaskOrchestration? GetObject(string name, string? version) =>
            factory.TryCreateOrchestrator(new TaskName(name), services, out var orchestrator)
                ? new ParentAwareOrchestration(new TaskName(name), orchestrator, shims)
                : null;
    }

    /// <summary>An SDK orchestrator whose shim is created, with the instance's parent, when its first episode runs.</summary>
    private sealed class ParentAwareOrchestration(TaskName name, ITaskOrchestrator orchestrator, DurableTaskShimFactory shims)
        : TaskOrchestration
    {
        private ParentOrchestrationInstance? _parent;
        private TaskOrchestration? _shim;

        private TaskOrchestration Shim => _shim ??= shims.CreateOrchestration(name, orchestrator, _parent);

        /// <summary>Dispatch middleware: hands the episode's orchestration the parent its history names, if any.</summary>
        public static Task TellParentAsync(DispatchMiddlewareContext context, Func<Task> next)
        {
            if (context.GetProperty<TaskOrchestration>() is ParentAwareOrchestration orchestration
                && context.GetProperty<OrchestrationRuntimeState>()?.ParentInstance is { } parent)
            {
                orchestration._parent = new ParentOrchestrationInstance(new TaskName(parent.Name), parent.OrchestrationInstance.InstanceId);
            }

            return next();
        }

        public override Task<string> Execute(OrchestrationContext context, string input) => Shim.Execute(context, input);

        public override void RaiseEvent(OrchestrationContext context, string name, string input) => Shim.RaiseEvent(context, name, input);

        public override string GetStatus() => Shim.GetStatus();
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
