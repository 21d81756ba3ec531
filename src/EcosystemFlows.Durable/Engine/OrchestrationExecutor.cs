using EcosystemFlows.Durable.History;
using Microsoft.Extensions.Logging;

namespace EcosystemFlows.Durable.Engine;

/// <summary>
/// Runs one episode: replays <c>past</c> history (IsReplaying = true), then applies <c>newEvents</c>,
/// draining orchestrator continuations on a single-threaded synchronization context after each event.
/// Pure with respect to storage: the caller records the result.
/// </summary>
internal static class OrchestrationExecutor
{
    public static ExecutionResult Execute(
        ITaskOrchestrator orchestrator,
        string instanceId,
        IReadOnlyList<HistoryEvent> past,
        IReadOnlyList<HistoryEvent> newEvents,
        string? customStatus,
        DataConverter converter,
        ILoggerFactory loggerFactory,
        string defaultVersion)
    {
        var context = new ReplayOrchestrationContext(instanceId, orchestrator, converter, loggerFactory, defaultVersion, customStatus);
        var scheduler = new OrchestrationSynchronizationContext();
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(scheduler);
        try
        {
            var index = 0;
            foreach (var historyEvent in past.Concat(newEvents))
            {
                context.Replaying = index++ < past.Count;
                context.Apply(historyEvent);
                scheduler.RunPending();
                context.CheckCompletion();
            }

            context.Replaying = false;
        }
        catch (NonDeterministicOrchestrationException ex)
        {
            context.Fail(TaskFailureDetails.FromException(ex));
            return new ExecutionResult([], context.Completion, context.CustomStatus);
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }

        return new ExecutionResult(context.UnrecordedActions, context.Completion, context.CustomStatus);
    }
}
