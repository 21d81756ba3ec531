namespace EcosystemFlows.Durable;

/// <summary>Untyped view of an activity used by the runtime; implement <see cref="TaskActivity{TInput,TOutput}"/> instead.</summary>
public interface ITaskActivity
{
    /// <summary>Type the serialized input is deserialized into.</summary>
    Type InputType { get; }

    /// <summary>Runs the activity with an already deserialized input.</summary>
    Task<object?> RunAsync(TaskActivityContext context, object? input);
}

/// <summary>
/// Base class of class-based activities, created per call with constructor DI. Delivery is at least
/// once: an activity may run again after a crash, so side effects must dedupe on
/// <see cref="TaskActivityContext.IdempotencyKey"/>.
/// </summary>
/// <typeparam name="TInput">Input type.</typeparam>
/// <typeparam name="TOutput">Output type.</typeparam>
public abstract class TaskActivity<TInput, TOutput> : ITaskActivity
{
    /// <inheritdoc />
    Type ITaskActivity.InputType => typeof(TInput);

    /// <summary>The activity logic; may do I/O and be non-deterministic.</summary>
    public abstract Task<TOutput> RunAsync(TaskActivityContext context, TInput input);

    /// <inheritdoc />
    async Task<object?> ITaskActivity.RunAsync(TaskActivityContext context, object? input) =>
        await RunAsync(context, input is null ? default! : (TInput)input).ConfigureAwait(false);
}

/// <summary>Information about the current activity call.</summary>
/// <param name="Name">Activity name.</param>
/// <param name="InstanceId">Instance id of the calling orchestration.</param>
/// <param name="ExecutionId">Execution id of the calling orchestration (changes on ContinueAsNew and restart).</param>
/// <param name="TaskId">Sequence number of the call within the orchestration execution.</param>
public sealed record TaskActivityContext(string Name, string InstanceId, string ExecutionId, int TaskId)
{
    /// <summary>
    /// Stable key of this call (instance id + execution id + task id): identical on every redelivery or
    /// re-execution of the same call, different for every other call, including each retry attempt.
    /// </summary>
    public string IdempotencyKey => $"{InstanceId}:{ExecutionId}:{TaskId}";
}
