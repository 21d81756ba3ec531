namespace EcosystemFlows.Durable.Tests.Diagnostics;

/// <summary>An activity, an event wait, another activity, a sub-orchestration and a timer: every kind of durable step.</summary>
public sealed class TracedSequenceOrchestrator : TaskOrchestrator<string, string>
{
    public override async Task<string> RunAsync(TaskOrchestrationContext context, string input)
    {
        var first = await context.CallActivityAsync<string>(nameof(TracedStep), "a");
        var signal = await context.WaitForExternalEvent<string>("Continue");
        var second = await context.CallActivityAsync<string>(nameof(TracedStep), "b");
        var child = await context.CallSubOrchestratorAsync<string>(nameof(TracedChildOrchestrator), "c");
        await context.CreateTimer(TimeSpan.FromHours(1), CancellationToken.None);
        return string.Join(",", first, signal, second, child);
    }
}

public sealed class TracedChildOrchestrator : TaskOrchestrator<string, string>
{
    public override Task<string> RunAsync(TaskOrchestrationContext context, string input) =>
        context.CallActivityAsync<string>(nameof(TracedStep), input);
}

/// <summary>Fails because its activity fails.</summary>
public sealed class TracedFailingOrchestrator : TaskOrchestrator<string, string>
{
    public override Task<string> RunAsync(TaskOrchestrationContext context, string input) =>
        context.CallActivityAsync<string>(nameof(TracedFailure), input);
}
