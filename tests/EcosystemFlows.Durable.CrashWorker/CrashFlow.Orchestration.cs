namespace EcosystemFlows.Durable.CrashWorker;

/// <summary>Six activities around a durable timer: a sequence, a fan-out and a final step.</summary>
public sealed class CrashFlow : TaskOrchestrator<int, int>
{
    public override async Task<int> RunAsync(TaskOrchestrationContext context, int input)
    {
        var done = await context.CallActivityAsync<int>(nameof(RecordEffect), "first");
        await context.CreateTimer(TimeSpan.FromMilliseconds(input), CancellationToken.None);
        var fanned = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => context.CallActivityAsync<int>(nameof(RecordEffect), $"fan{i}")));
        done += fanned.Sum();
        done += await context.CallActivityAsync<int>(nameof(RecordEffect), "last");
        return done;
    }
}
