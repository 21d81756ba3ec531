using System.Collections.Concurrent;

namespace EcosystemFlows.Durable.Tests.Samples;

/// <summary>Observes activity executions: every execution, and side effects deduplicated by idempotency key.</summary>
public sealed class SideEffectLog
{
    public ConcurrentDictionary<string, int> ExecutionsByKey { get; } = new();

    public ConcurrentDictionary<string, string> EffectsByKey { get; } = new();

    public ConcurrentQueue<DateTimeOffset> AttemptTimes { get; } = new();

    public int TotalExecutions => ExecutionsByKey.Values.Sum();

    public void Record(TaskActivityContext context, string effect)
    {
        ExecutionsByKey.AddOrUpdate(context.IdempotencyKey, 1, (_, n) => n + 1);

        // The side effect itself dedupes on the idempotency key, as a real one (SKU creation) would.
        EffectsByKey.TryAdd(context.IdempotencyKey, effect);
    }
}

/// <summary>Switch read by <see cref="EvolvingOrchestrator"/> to simulate a code change between episodes.</summary>
public sealed class CodeVersionSwitch
{
    public bool UseNewCode { get; set; }
}

public sealed class SayHello(SideEffectLog log) : TaskActivity<string, string>
{
    public override Task<string> RunAsync(TaskActivityContext context, string input)
    {
        log.Record(context, input);
        return Task.FromResult($"Hello {input}!");
    }
}

public sealed class Increment : TaskActivity<int, int>
{
    public override Task<int> RunAsync(TaskActivityContext context, int input) => Task.FromResult(input + 1);
}

/// <summary>Always fails and records when each attempt ran (by the fake clock).</summary>
public sealed class Flaky(SideEffectLog log, TimeProvider clock) : TaskActivity<string, string>
{
    public override Task<string> RunAsync(TaskActivityContext context, string input)
    {
        log.AttemptTimes.Enqueue(clock.GetUtcNow());
        throw new InvalidOperationException($"flaky failure of {input}");
    }
}

[DurableTask("Explode")]
public sealed class FailingActivity : TaskActivity<string, string>
{
    public override Task<string> RunAsync(TaskActivityContext context, string input) =>
        throw new InvalidOperationException("boom", new ArgumentException("root cause"));
}

public static class SampleRegistration
{
    public static void RegisterAll(DurableTaskRegistry registry)
    {
        registry
            .AddActivity<SayHello>()
            .AddActivity<Increment>()
            .AddActivity<Flaky>()
            .AddActivity<FailingActivity>()
            .AddOrchestrator<HelloSequenceOrchestrator>()
            .AddOrchestrator<FanOutOrchestrator>()
            .AddOrchestrator<ApprovalOrchestrator>()
            .AddOrchestrator<RaceOrchestrator>()
            .AddOrchestrator<TwoEventsOrchestrator>()
            .AddOrchestrator<RetryOrchestrator>()
            .AddOrchestrator<ParentOrchestrator>()
            .AddOrchestrator<ChildOrchestrator>()
            .AddOrchestrator<CounterOrchestrator>()
            .AddOrchestrator<CarryOverOrchestrator>()
            .AddOrchestrator<DeterministicValuesOrchestrator>()
            .AddOrchestrator<EvolvingOrchestrator>()
            .AddOrchestrator<ThrowingOrchestrator>();
    }
}
