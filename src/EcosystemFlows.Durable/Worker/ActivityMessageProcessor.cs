using System.Diagnostics;
using EcosystemFlows.Durable.Diagnostics;
using EcosystemFlows.Durable.History;
using EcosystemFlows.Durable.Ports;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EcosystemFlows.Durable.Worker;

/// <summary>
/// Runs one activity work item and sends its result to the orchestration. The result message id is
/// deterministic, so running the same work item twice produces one recorded result.
/// </summary>
internal sealed class ActivityMessageProcessor(
    IMessageDispatcher dispatcher,
    DurableTaskRegistry registry,
    IServiceProvider services,
    DataConverter converter,
    TimeProvider timeProvider,
    ILoggerFactory loggerFactory)
{
    private readonly ILogger _logger = loggerFactory.CreateLogger("EcosystemFlows.Durable.Activities");

    public async Task ProcessAsync(TaskMessage message, CancellationToken cancellationToken)
    {
        var reply = await RunToReplyAsync(message).ConfigureAwait(false);
        await dispatcher.SendAsync(DispatchQueue.Control, reply, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs the activity and returns the result message for its orchestration, without sending it.</summary>
    public async Task<TaskMessage> RunToReplyAsync(TaskMessage message)
    {
        if (message.Event is not TaskScheduledEvent scheduled || message.ExecutionId is null)
        {
            throw new InvalidOperationException($"Work item {message.Id} does not carry a TaskScheduled event with an execution id.");
        }

        // The span is ambient while user code runs, so what the activity calls (Service Bus sends, HTTP) joins the trace.
        using var span = DurableTelemetry.StartActivityExecution(message, scheduled);
        var started = Stopwatch.GetTimestamp();
        var result = await RunAsync(message, scheduled, message.ExecutionId).ConfigureAwait(false);
        DurableTelemetry.ActivityFinished(span, scheduled.Name, result, Stopwatch.GetElapsedTime(started));
        Log.ActivityFinished(_logger, scheduled.Name, scheduled.EventId, message.InstanceId, result is TaskCompletedEvent ? "completed" : "failed");
        return new TaskMessage(MessageIds.ForTask(message.InstanceId, message.ExecutionId, scheduled.EventId, "result"), message.InstanceId, message.ExecutionId, result);
    }

    private async Task<HistoryEvent> RunAsync(TaskMessage message, TaskScheduledEvent scheduled, string executionId)
    {
        if (!registry.TryGetActivity(scheduled.Name, out var type))
        {
            var missing = new TaskFailureDetails("ActivityNotFound", $"No activity named '{scheduled.Name}' is registered.", null, null);
            return new TaskFailedEvent(-1, timeProvider.GetUtcNow().UtcDateTime, scheduled.EventId, missing);
        }

        var scope = services.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            try
            {
                var activity = (ITaskActivity)ActivatorUtilities.CreateInstance(scope.ServiceProvider, type);
                var context = new TaskActivityContext(scheduled.Name, message.InstanceId, executionId, scheduled.EventId);
                var output = await activity.RunAsync(context, converter.Deserialize(scheduled.Input, activity.InputType)).ConfigureAwait(false);
                return new TaskCompletedEvent(-1, timeProvider.GetUtcNow().UtcDateTime, scheduled.EventId, converter.Serialize(output));
            }
#pragma warning disable CA1031 // Any exception of user code is the activity's failure, reported to the orchestration.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                return new TaskFailedEvent(-1, timeProvider.GetUtcNow().UtcDateTime, scheduled.EventId, TaskFailureDetails.FromException(ex));
            }
        }
    }
}
