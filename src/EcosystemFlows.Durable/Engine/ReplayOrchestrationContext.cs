using EcosystemFlows.Durable.History;
using Microsoft.Extensions.Logging;

namespace EcosystemFlows.Durable.Engine;

/// <summary>
/// The context handed to orchestrator code, and the state machine that replays history into it.
/// Each durable call takes the next sequence number as its task id and emits an action; history
/// scheduling events must match those actions one for one, or the instance is non-deterministic.
/// </summary>
internal sealed class ReplayOrchestrationContext : TaskOrchestrationContext
{
    private readonly ITaskOrchestrator _orchestrator;
    private readonly DataConverter _converter;
    private readonly ILoggerFactory _loggerFactory;
    private readonly string _defaultVersion;
    private readonly SortedDictionary<int, OrchestratorAction> _pendingActions = [];
    private readonly Dictionary<int, OpenTask> _openTasks = [];
    private readonly Dictionary<string, List<TaskCompletionSource<string?>>> _eventWaiters = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<EventRaisedEvent> _bufferedEvents = [];
    private int _nextSequence;
    private int _guidCounter;
    private Task<object?>? _runTask;
    private (string? Input, bool Preserve)? _continueAsNew;

    public ReplayOrchestrationContext(string instanceId, ITaskOrchestrator orchestrator, DataConverter converter, ILoggerFactory loggerFactory, string defaultVersion, string? customStatus)
    {
        InstanceId = instanceId;
        _orchestrator = orchestrator;
        _converter = converter;
        _loggerFactory = loggerFactory;
        _defaultVersion = defaultVersion;
        CustomStatus = customStatus;
    }

    public override string Name => Started?.Name ?? string.Empty;

    public override string InstanceId { get; }

    public override string Version => Started?.Version ?? string.Empty;

    public override bool IsReplaying => Replaying;

    public override DateTime CurrentUtcDateTime => Now;

    public bool Replaying { get; set; }

    public DateTime Now { get; private set; }

    public ExecutionStartedEvent? Started { get; private set; }

    public string? CustomStatus { get; private set; }

    public OrchestrationCompletion? Completion { get; private set; }

    public IReadOnlyList<OrchestratorAction> UnrecordedActions => [.. _pendingActions.Values];

    /// <summary>Delivers one history event to the orchestrator.</summary>
    /// <exception cref="NonDeterministicOrchestrationException">The event does not match the code's actions.</exception>
    public void Apply(HistoryEvent historyEvent)
    {
        switch (historyEvent)
        {
            case OrchestratorStartedEvent started:
                Now = started.Timestamp;
                break;
            case ExecutionStartedEvent started:
                Start(started);
                break;
            case TaskScheduledEvent scheduled:
                Match<ScheduleTaskAction>(scheduled.EventId, $"TaskScheduled '{scheduled.Name}'", a => a.Name == scheduled.Name);
                break;
            case TimerCreatedEvent timer:
                Match<CreateTimerAction>(timer.EventId, "TimerCreated", _ => true);
                break;
            case SubOrchestrationInstanceCreatedEvent created:
                Match<CreateSubOrchestrationAction>(created.EventId, $"SubOrchestrationInstanceCreated '{created.Name}'", a => a.Name == created.Name);
                break;
            case TaskCompletedEvent completed:
                Complete(completed.TaskScheduledId, completed.Result);
                break;
            case SubOrchestrationInstanceCompletedEvent completed:
                Complete(completed.TaskScheduledId, completed.Result);
                break;
            case TimerFiredEvent fired:
                Complete(fired.TimerId, null);
                break;
            case TaskFailedEvent failed:
                Fail(failed.TaskScheduledId, failed.FailureDetails);
                break;
            case SubOrchestrationInstanceFailedEvent failed:
                Fail(failed.TaskScheduledId, failed.FailureDetails);
                break;
            case EventRaisedEvent raised:
                Raise(raised);
                break;
            default:
                // Suspend/resume/terminate/completion markers are handled by the worker, not the code.
                break;
        }
    }

    /// <summary>Records the end of the execution once the orchestrator's task has finished.</summary>
    public void CheckCompletion()
    {
        if (Completion is not null || _runTask is not { IsCompleted: true } task)
        {
            return;
        }

        if (task.IsCompletedSuccessfully)
        {
            Completion = _continueAsNew is { } next
                ? new OrchestrationCompletion(OrchestrationRuntimeStatus.ContinuedAsNew, next.Input, null, next.Preserve ? [.. _bufferedEvents] : [])
                : new OrchestrationCompletion(OrchestrationRuntimeStatus.Completed, _converter.Serialize(task.Result), null, []);
            return;
        }

        Exception exception = task.IsCanceled
            ? new TaskCanceledException("The orchestrator's task was canceled.")
            : task.Exception!.InnerException ?? task.Exception;
        Fail(TaskFailureDetails.FromException(exception));
    }

    /// <summary>Ends the execution as Failed (unhandled exception or runtime error such as non-determinism).</summary>
    public void Fail(TaskFailureDetails details) =>
        Completion = new OrchestrationCompletion(OrchestrationRuntimeStatus.Failed, null, details, []);

    public override Task<TResult> CallActivityAsync<TResult>(string name, object? input = null, TaskOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var serialized = _converter.Serialize(input);
        return options?.Retry is { } retry
            ? RetryAsync(() => CallActivityOnceAsync<TResult>(name, serialized), retry)
            : CallActivityOnceAsync<TResult>(name, serialized);
    }

    public override Task<TResult> CallSubOrchestratorAsync<TResult>(string orchestratorName, object? input = null, TaskOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(orchestratorName);
        var serialized = _converter.Serialize(input);
        var subOptions = options as SubOrchestrationOptions;
        var version = subOptions?.Version ?? _defaultVersion;
        return options?.Retry is { } retry
            ? RetryAsync(() => CallSubOrchestratorOnceAsync<TResult>(orchestratorName, version, subOptions?.InstanceId, serialized), retry)
            : CallSubOrchestratorOnceAsync<TResult>(orchestratorName, version, subOptions?.InstanceId, serialized);
    }

    public override Task CreateTimer(DateTime fireAt, CancellationToken cancellationToken)
    {
        var utc = fireAt.Kind switch
        {
            DateTimeKind.Local => fireAt.ToUniversalTime(),
            DateTimeKind.Unspecified => DateTime.SpecifyKind(fireAt, DateTimeKind.Utc),
            _ => fireAt,
        };
        var id = _nextSequence++;
        var tcs = Open(id, "timer", new CreateTimerAction(id, utc));
        if (cancellationToken.CanBeCanceled)
        {
            // The timer message still arrives later; its TimerFired finds the task already canceled and is ignored.
            cancellationToken.Register(() => tcs.TrySetCanceled(cancellationToken));
        }

        return tcs.Task;
    }

    public override Task<T> WaitForExternalEvent<T>(string eventName, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(eventName);
        var index = _bufferedEvents.FindIndex(e => string.Equals(e.Name, eventName, StringComparison.OrdinalIgnoreCase));
        if (index >= 0)
        {
            var buffered = _bufferedEvents[index];
            _bufferedEvents.RemoveAt(index);
            return Task.FromResult(Convert<T>(buffered.Input));
        }

        var tcs = new TaskCompletionSource<string?>();
        if (!_eventWaiters.TryGetValue(eventName, out var waiters))
        {
            _eventWaiters[eventName] = waiters = [];
        }

        waiters.Add(tcs);
        if (cancellationToken.CanBeCanceled)
        {
            cancellationToken.Register(() =>
            {
                // A canceled waiter must not swallow a later event of the same name.
                if (tcs.TrySetCanceled(cancellationToken))
                {
                    waiters.Remove(tcs);
                }
            });
        }

        return ConvertAsync<T>(tcs.Task);
    }

    public override void SetCustomStatus(object? customStatus) => CustomStatus = _converter.Serialize(customStatus);

    public override void ContinueAsNew(object? newInput = null, bool preserveUnprocessedEvents = true) =>
        _continueAsNew = (_converter.Serialize(newInput), preserveUnprocessedEvents);

    public override Guid NewGuid() =>
        DeterministicGuid.Create($"{InstanceId}_{Now:o}_{_guidCounter++}");

    public override ILogger CreateReplaySafeLogger(string categoryName) =>
        new ReplaySafeLogger(this, _loggerFactory.CreateLogger(categoryName));

    private void Start(ExecutionStartedEvent started)
    {
        Started = started;
        try
        {
            var input = _converter.Deserialize(started.Input, _orchestrator.InputType);
            _runTask = _orchestrator.RunAsync(this, input);
        }
        catch (Exception ex)
        {
            // Bad input or a synchronous throw before the first await fails the instance like any unhandled exception.
            _runTask = Task.FromException<object?>(ex);
        }
    }

    private void Match<TAction>(int id, string recorded, Func<TAction, bool> sameCall) where TAction : OrchestratorAction
    {
        if (!_pendingActions.Remove(id, out var action))
        {
            throw NonDeterminism($"history has {recorded} as task #{id}, but the orchestrator did not schedule task #{id}");
        }

        if (action is not TAction typed || !sameCall(typed))
        {
            throw NonDeterminism($"history has {recorded} as task #{id}, but the orchestrator now emits {action}");
        }
    }

    private NonDeterministicOrchestrationException NonDeterminism(string detail) =>
        new($"Non-deterministic orchestration '{Name}' (instance '{InstanceId}'): {detail}. " +
            "Orchestrator code changed in a way that is incompatible with the recorded history.");

    private void Complete(int taskId, string? result)
    {
        // Results for unknown or already finished tasks (duplicates, canceled timers) are ignored.
        if (_openTasks.Remove(taskId, out var open))
        {
            open.Completion.TrySetResult(result);
        }
    }

    private void Fail(int taskId, TaskFailureDetails details)
    {
        if (_openTasks.Remove(taskId, out var open))
        {
            open.Completion.TrySetException(new TaskFailedException(open.Name, taskId, details));
        }
    }

    private void Raise(EventRaisedEvent raised)
    {
        if (Completion is { Status: OrchestrationRuntimeStatus.ContinuedAsNew } continued && _continueAsNew is { Preserve: true })
        {
            // Raised after the code continued as new within this episode (it arrived together with the message that
            // let the code get there): the next execution gets it, as it would an event raised a moment later.
            Completion = continued with { CarryOverEvents = [.. continued.CarryOverEvents, raised] };
            return;
        }

        if (_eventWaiters.TryGetValue(raised.Name, out var waiters) && waiters.Count > 0)
        {
            var waiter = waiters[0];
            waiters.RemoveAt(0);
            waiter.TrySetResult(raised.Input);
            return;
        }

        _bufferedEvents.Add(raised);
    }

    private TaskCompletionSource<string?> Open(int id, string name, OrchestratorAction action)
    {
        var tcs = new TaskCompletionSource<string?>();
        _pendingActions[id] = action;
        _openTasks[id] = new OpenTask(name, tcs);
        return tcs;
    }

    private async Task<TResult> CallActivityOnceAsync<TResult>(string name, string? input)
    {
        var id = _nextSequence++;
        var result = await Open(id, name, new ScheduleTaskAction(id, name, input)).Task;
        return Convert<TResult>(result);
    }

    private async Task<TResult> CallSubOrchestratorOnceAsync<TResult>(string name, string version, string? instanceId, string? input)
    {
        var id = _nextSequence++;
        var childId = instanceId ?? NewGuid().ToString("N");
        var result = await Open(id, name, new CreateSubOrchestrationAction(id, name, version, childId, input)).Task;
        return Convert<TResult>(result);
    }

    private async Task<TResult> RetryAsync<TResult>(Func<Task<TResult>> attempt, RetryPolicy policy)
    {
        var firstAttemptAt = Now;
        for (var attemptNumber = 1; ; attemptNumber++)
        {
            try
            {
                return await attempt();
            }
            catch (TaskFailedException ex) when (ShouldRetry(policy, attemptNumber, firstAttemptAt, ex.FailureDetails))
            {
                await CreateTimer(Now.Add(policy.GetDelay(attemptNumber)), CancellationToken.None);
            }
        }
    }

    private bool ShouldRetry(RetryPolicy policy, int attemptNumber, DateTime firstAttemptAt, TaskFailureDetails failure)
    {
        if (attemptNumber >= policy.MaxNumberOfAttempts || (policy.HandleFailure is { } handle && !handle(failure)))
        {
            return false;
        }

        return policy.RetryTimeout == Timeout.InfiniteTimeSpan ||
            Now.Add(policy.GetDelay(attemptNumber)) - firstAttemptAt <= policy.RetryTimeout;
    }

    private TResult Convert<TResult>(string? data) => (TResult)_converter.Deserialize(data, typeof(TResult))!;

    private async Task<TResult> ConvertAsync<TResult>(Task<string?> task) => Convert<TResult>(await task);

    private sealed record OpenTask(string Name, TaskCompletionSource<string?> Completion);

    private sealed class ReplaySafeLogger(ReplayOrchestrationContext context, ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => !context.IsReplaying && inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!context.IsReplaying)
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
