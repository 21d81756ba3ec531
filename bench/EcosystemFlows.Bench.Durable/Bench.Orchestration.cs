using EcosystemFlows.Durable;

namespace EcosystemFlows.Bench.Durable;

/// <summary>N activities one after another.</summary>
public sealed class SequentialFlow : TaskOrchestrator<int, int>
{
    public override async Task<int> RunAsync(TaskOrchestrationContext context, int input)
    {
        var total = 0;
        for (var i = 0; i < input; i++)
        {
            total += await context.CallActivityAsync<int>(nameof(Noop), i);
        }

        return total;
    }
}

/// <summary>N activities at once, awaited together.</summary>
public sealed class FanOutFlow : TaskOrchestrator<int, int>
{
    public override async Task<int> RunAsync(TaskOrchestrationContext context, int input)
    {
        var results = await Task.WhenAll(Enumerable.Range(0, input).Select(i => context.CallActivityAsync<int>(nameof(Noop), i)));
        return results.Length;
    }
}

/// <summary>The Durable Functions "hello cities" sample with five calls.</summary>
public sealed class Hello5Flow : TaskOrchestrator<string, int>
{
    public override async Task<int> RunAsync(TaskOrchestrationContext context, string input)
    {
        var length = 0;
        foreach (var city in new[] { "Tokyo", "Seattle", "London", "Cairo", input })
        {
            length += (await context.CallActivityAsync<string>(nameof(SayHello), city)).Length;
        }

        return length;
    }
}

/// <summary>Receives N external events one by one.</summary>
public sealed class EventsFlow : TaskOrchestrator<int, int>
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

/// <summary>Each event triggers one activity (the "next step"), N times.</summary>
public sealed class PingFlow : TaskOrchestrator<int, int>
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

/// <summary>Waits for an event that never comes (idle instances).</summary>
public sealed class IdleFlow : TaskOrchestrator<int, int>
{
    public override async Task<int> RunAsync(TaskOrchestrationContext context, int input) => await context.WaitForExternalEvent<int>("never");
}
