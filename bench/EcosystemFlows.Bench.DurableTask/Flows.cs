using System.Collections.Concurrent;
using Microsoft.DurableTask;

namespace EcosystemFlows.Bench.DurableTask;

/// <summary>A chain of <c>n</c> activities, one after the other.</summary>
internal sealed class SequentialFlow : TaskOrchestrator<int, int>
{
    public override async Task<int> RunAsync(TaskOrchestrationContext context, int input)
    {
        for (var i = 0; i < input; i++)
        {
            await context.CallActivityAsync<int>(nameof(Noop), i);
        }

        return input;
    }
}

/// <summary><c>n</c> activities at once, then their results together.</summary>
internal sealed class FanOutFlow : TaskOrchestrator<int, int>
{
    public override async Task<int> RunAsync(TaskOrchestrationContext context, int input)
    {
        var results = await Task.WhenAll(Enumerable.Range(0, input).Select(i => context.CallActivityAsync<int>(nameof(Noop), i)));
        return results.Length;
    }
}

/// <summary>Waits for <c>n</c> external events named <c>e</c>.</summary>
internal sealed class EventsFlow : TaskOrchestrator<int, int>
{
    public override async Task<int> RunAsync(TaskOrchestrationContext context, int input)
    {
        for (var i = 0; i < input; i++)
        {
            await context.WaitForExternalEvent<int>("e");
        }

        return input;
    }
}

/// <summary>The classic "hello cities" five-step chain.</summary>
internal sealed class Hello5Flow : TaskOrchestrator<string, string>
{
    public override async Task<string> RunAsync(TaskOrchestrationContext context, string input)
    {
        var last = "";
        for (var i = 0; i < 5; i++)
        {
            last = await context.CallActivityAsync<string>(nameof(SayHello), $"{input}-{i}");
        }

        return last;
    }
}

/// <summary><c>n</c> times: wait for a <c>ping</c> event, then run <see cref="Mark"/> with its value (latency probes).</summary>
internal sealed class PingFlow : TaskOrchestrator<int, int>
{
    public override async Task<int> RunAsync(TaskOrchestrationContext context, int input)
    {
        for (var i = 0; i < input; i++)
        {
            var sample = await context.WaitForExternalEvent<int>("ping");
            await context.CallActivityAsync<int>(nameof(Mark), sample);
        }

        return input;
    }
}

/// <summary>Waits for one event that never comes: an instance at rest.</summary>
internal sealed class IdleFlow : TaskOrchestrator<int, int>
{
    public override Task<int> RunAsync(TaskOrchestrationContext context, int input) => context.WaitForExternalEvent<int>("go");
}

internal sealed class Noop : TaskActivity<int, int>
{
    public override Task<int> RunAsync(TaskActivityContext context, int input) => Task.FromResult(input);
}

internal sealed class SayHello : TaskActivity<string, string>
{
    public override Task<string> RunAsync(TaskActivityContext context, string input) => Task.FromResult($"Hello {input}!");
}

/// <summary>Records when it starts for the sample it is given (the "next step" of a latency probe).</summary>
internal sealed class Mark(LatencyProbe probe) : TaskActivity<int, int>
{
    public override Task<int> RunAsync(TaskActivityContext context, int input)
    {
        probe.Reached(input);
        return Task.FromResult(input);
    }
}

/// <summary>Wall-clock instants at which <see cref="Mark"/> started, per sample (wall clock: comparable across processes).</summary>
internal sealed class LatencyProbe
{
    private readonly ConcurrentDictionary<int, TaskCompletionSource<DateTime>> _samples = new();

    /// <summary>Completes with the instant the activity for <paramref name="sample"/> starts.</summary>
    public Task<DateTime> Expect(int sample) => Source(sample).Task;

    public void Reached(int sample) => Source(sample).TrySetResult(DateTime.UtcNow);

    private TaskCompletionSource<DateTime> Source(int sample) =>
        _samples.GetOrAdd(sample, _ => new TaskCompletionSource<DateTime>(TaskCreationOptions.RunContinuationsAsynchronously));
}
