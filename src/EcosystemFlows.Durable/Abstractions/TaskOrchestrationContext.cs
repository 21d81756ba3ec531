using Microsoft.Extensions.Logging;

namespace EcosystemFlows.Durable;

/// <summary>
/// The orchestrator's view of the runtime (mirrors Durable Task's <c>TaskOrchestrationContext</c>).
/// Every awaitable it returns is durable: its outcome is recorded in history and replayed.
/// </summary>
public abstract class TaskOrchestrationContext
{
    /// <summary>Name of the orchestrator.</summary>
    public abstract string Name { get; }

    /// <summary>Instance id of the orchestration.</summary>
    public abstract string InstanceId { get; }

    /// <summary>Version recorded when this execution started.</summary>
    public abstract string Version { get; }

    /// <summary>True while the orchestrator re-executes steps already recorded in history.</summary>
    public abstract bool IsReplaying { get; }

    /// <summary>Replay-safe current time: the time the current episode started.</summary>
    public abstract DateTime CurrentUtcDateTime { get; }

    /// <summary>Calls an activity and returns its output.</summary>
    /// <exception cref="TaskFailedException">The activity failed (after the retries of <paramref name="options"/>).</exception>
    public abstract Task<TResult> CallActivityAsync<TResult>(string name, object? input = null, TaskOptions? options = null);

    /// <summary>Calls an activity, ignoring its output.</summary>
    /// <exception cref="TaskFailedException">The activity failed (after the retries of <paramref name="options"/>).</exception>
    public Task CallActivityAsync(string name, object? input = null, TaskOptions? options = null) =>
        CallActivityAsync<object?>(name, input, options);

    /// <summary>Runs another orchestration as a child and returns its output.</summary>
    /// <exception cref="TaskFailedException">The sub-orchestration failed or was terminated.</exception>
    public abstract Task<TResult> CallSubOrchestratorAsync<TResult>(string orchestratorName, object? input = null, TaskOptions? options = null);

    /// <summary>Runs another orchestration as a child, ignoring its output.</summary>
    /// <exception cref="TaskFailedException">The sub-orchestration failed or was terminated.</exception>
    public Task CallSubOrchestratorAsync(string orchestratorName, object? input = null, TaskOptions? options = null) =>
        CallSubOrchestratorAsync<object?>(orchestratorName, input, options);

    /// <summary>A durable timer completing at <paramref name="fireAt"/> (UTC); cancelling the token cancels the task.</summary>
    public abstract Task CreateTimer(DateTime fireAt, CancellationToken cancellationToken);

    /// <summary>A durable timer completing after <paramref name="delay"/> from <see cref="CurrentUtcDateTime"/>.</summary>
    public Task CreateTimer(TimeSpan delay, CancellationToken cancellationToken) =>
        CreateTimer(CurrentUtcDateTime.Add(delay), cancellationToken);

    /// <summary>
    /// Waits for the next external event named <paramref name="eventName"/> (case-insensitive). Events raised
    /// before the wait are buffered in arrival order per name.
    /// </summary>
    public abstract Task<T> WaitForExternalEvent<T>(string eventName, CancellationToken cancellationToken = default);

    /// <summary>
    /// Waits for an external event for at most <paramref name="timeout"/>, measured with a durable timer.
    /// </summary>
    /// <exception cref="TaskCanceledException">The timeout expired first (as in durabletask-dotnet).</exception>
    public virtual async Task<T> WaitForExternalEvent<T>(string eventName, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        if (timeout == Timeout.InfiniteTimeSpan)
        {
            return await WaitForExternalEvent<T>(eventName, cancellationToken);
        }

        using var timerCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var eventCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var timerTask = CreateTimer(timeout, timerCts.Token);
        var eventTask = WaitForExternalEvent<T>(eventName, eventCts.Token);
        var winner = await Task.WhenAny(timerTask, eventTask);

        // Cancel synchronously: CancelAsync runs the callbacks on the thread pool, outside the episode.
#pragma warning disable CA1849
        (winner == eventTask ? timerCts : eventCts).Cancel();
#pragma warning restore CA1849

        return await eventTask;
    }

    /// <summary>Sets the custom status visible to clients (serialized with the data converter).</summary>
    public abstract void SetCustomStatus(object? customStatus);

    /// <summary>
    /// Restarts the orchestration with <paramref name="newInput"/> and an empty history once the orchestrator
    /// returns. Buffered external events not yet awaited are carried over when
    /// <paramref name="preserveUnprocessedEvents"/> is true.
    /// </summary>
    public abstract void ContinueAsNew(object? newInput = null, bool preserveUnprocessedEvents = true);

    /// <summary>A replay-safe, name-based (RFC 4122 v5) GUID derived from instance id, current time and a counter.</summary>
    public abstract Guid NewGuid();

    /// <summary>A logger that writes nothing while <see cref="IsReplaying"/>.</summary>
    public abstract ILogger CreateReplaySafeLogger(string categoryName);

    /// <summary>A replay-safe logger for category <typeparamref name="T"/>.</summary>
    public ILogger CreateReplaySafeLogger<T>() => CreateReplaySafeLogger(typeof(T).FullName ?? typeof(T).Name);
}
