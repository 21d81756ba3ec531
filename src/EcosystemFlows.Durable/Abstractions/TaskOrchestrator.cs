namespace EcosystemFlows.Durable;

/// <summary>Untyped view of an orchestrator used by the runtime; implement <see cref="TaskOrchestrator{TInput,TOutput}"/> instead.</summary>
public interface ITaskOrchestrator
{
    /// <summary>Type the serialized input is deserialized into.</summary>
    Type InputType { get; }

    /// <summary>Runs the orchestrator with an already deserialized input.</summary>
    Task<object?> RunAsync(TaskOrchestrationContext context, object? input);
}

/// <summary>
/// Base class of class-based orchestrators (as in Durable Functions' isolated model). The code must be
/// deterministic: use the context for time, ids, delays and I/O (activities); it is replayed from
/// history on every episode. Never use <c>ConfigureAwait(false)</c> in orchestrator code.
/// </summary>
/// <typeparam name="TInput">Input type.</typeparam>
/// <typeparam name="TOutput">Output type.</typeparam>
public abstract class TaskOrchestrator<TInput, TOutput> : ITaskOrchestrator
{
    /// <inheritdoc />
    Type ITaskOrchestrator.InputType => typeof(TInput);

    /// <summary>The orchestration logic.</summary>
    public abstract Task<TOutput> RunAsync(TaskOrchestrationContext context, TInput input);

    /// <inheritdoc />
    async Task<object?> ITaskOrchestrator.RunAsync(TaskOrchestrationContext context, object? input) =>
        await RunAsync(context, input is null ? default! : (TInput)input);
}
