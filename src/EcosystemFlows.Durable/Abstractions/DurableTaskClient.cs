using EcosystemFlows.Durable.History;

namespace EcosystemFlows.Durable;

/// <summary>
/// Starts and manages orchestration instances (mirrors Durable Task's <c>DurableTaskClient</c>). Abstract
/// so application code can be unit-tested with a mock.
/// </summary>
public abstract class DurableTaskClient
{
    /// <summary>
    /// Schedules a new instance of <paramref name="orchestratorName"/> and returns its id.
    /// </summary>
    /// <exception cref="OrchestrationAlreadyExistsException">
    /// <see cref="StartOrchestrationOptions.InstanceId"/> names an instance that is Pending, Running or Suspended.
    /// A terminal instance with that id is replaced by the new execution.
    /// </exception>
    public abstract Task<string> ScheduleNewOrchestrationInstanceAsync(string orchestratorName, object? input = null, StartOrchestrationOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Gets an instance's status, or null when it does not exist.</summary>
    public abstract Task<OrchestrationMetadata?> GetInstanceAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellationToken = default);

    /// <summary>Gets the history of the instance's current execution.</summary>
    /// <exception cref="OrchestrationNotFoundException">The instance does not exist.</exception>
    public abstract Task<IReadOnlyList<HistoryEvent>> GetOrchestrationHistoryAsync(string instanceId, CancellationToken cancellationToken = default);

    /// <summary>Waits (polling) until the instance is Completed, Failed or Terminated.</summary>
    public abstract Task<OrchestrationMetadata> WaitForInstanceCompletionAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellationToken = default);

    /// <summary>
    /// Sends an external event. An instance this client already saw exist is not read again first (instances stop
    /// existing only when purged, and only terminal ones, which ignore events, can be purged).
    /// </summary>
    /// <exception cref="OrchestrationNotFoundException">The instance does not exist.</exception>
    public abstract Task RaiseEventAsync(string instanceId, string eventName, object? eventPayload = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Sends an external event under a caller-chosen id: raising it again with the same id (a retried or
    /// redelivered command) reaches the instance once, since an instance drops message ids it has processed.
    /// </summary>
    /// <exception cref="OrchestrationNotFoundException">The instance does not exist.</exception>
    public abstract Task RaiseEventAsync(string instanceId, string eventName, object? eventPayload, string eventId, CancellationToken cancellationToken = default);

    /// <summary>Terminates the instance; no-op when it is already terminal.</summary>
    /// <exception cref="OrchestrationNotFoundException">The instance does not exist.</exception>
    public abstract Task TerminateInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellationToken = default);

    /// <summary>Suspends the instance: messages are buffered until it is resumed.</summary>
    /// <exception cref="OrchestrationNotFoundException">The instance does not exist.</exception>
    public abstract Task SuspendInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellationToken = default);

    /// <summary>Resumes a suspended instance and applies the buffered messages.</summary>
    /// <exception cref="OrchestrationNotFoundException">The instance does not exist.</exception>
    public abstract Task ResumeInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellationToken = default);

    /// <summary>Deletes a terminal instance and its history; returns 0 when it does not exist.</summary>
    /// <exception cref="InvalidOperationException">The instance is not terminal.</exception>
    public abstract Task<PurgeResult> PurgeInstanceAsync(string instanceId, CancellationToken cancellationToken = default);

    /// <summary>Deletes all terminal instances matching <paramref name="filter"/>.</summary>
    public abstract Task<PurgeResult> PurgeAllInstancesAsync(PurgeInstancesFilter filter, CancellationToken cancellationToken = default);

    /// <summary>Returns one page of instances matching <paramref name="query"/>.</summary>
    public abstract Task<OrchestrationQueryResult> QueryInstancesAsync(OrchestrationQuery query, CancellationToken cancellationToken = default);

    /// <summary>Enumerates all instances matching <paramref name="query"/>, following continuation tokens.</summary>
    public async IAsyncEnumerable<OrchestrationMetadata> GetAllInstancesAsync(
        OrchestrationQuery? query = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var page = query ?? new OrchestrationQuery();
        do
        {
            var result = await QueryInstancesAsync(page, cancellationToken).ConfigureAwait(false);
            foreach (var instance in result.Instances)
            {
                yield return instance;
            }

            page = page with { ContinuationToken = result.ContinuationToken };
        }
        while (page.ContinuationToken is not null);
    }

    /// <summary>
    /// Starts a terminal (typically failed) instance again with its original name, version and input; returns the
    /// instance id (a new one when <paramref name="restartWithNewInstanceId"/> is true).
    /// </summary>
    /// <exception cref="OrchestrationNotFoundException">The instance does not exist.</exception>
    /// <exception cref="OrchestrationAlreadyExistsException">The instance is not terminal.</exception>
    public abstract Task<string> RestartAsync(string instanceId, bool restartWithNewInstanceId = false, CancellationToken cancellationToken = default);
}
