namespace EcosystemFlows.Durable.Tests.Samples;

public sealed class HelloSequenceOrchestrator : TaskOrchestrator<string, List<string>>
{
    public override async Task<List<string>> RunAsync(TaskOrchestrationContext context, string input)
    {
        var greetings = new List<string>();
        foreach (var city in new[] { "Tokyo", "Seattle", input })
        {
            greetings.Add(await context.CallActivityAsync<string>(nameof(SayHello), city));
        }

        return greetings;
    }
}

public sealed class FanOutOrchestrator : TaskOrchestrator<int, int>
{
    public override async Task<int> RunAsync(TaskOrchestrationContext context, int input)
    {
        var calls = Enumerable.Range(0, input).Select(i => context.CallActivityAsync<string>(nameof(SayHello), $"p{i}")).ToList();
        var results = await Task.WhenAll(calls);
        return results.Length;
    }
}

/// <summary>Waits up to 30 days for an approval.</summary>
public sealed class ApprovalOrchestrator : TaskOrchestrator<string, string>
{
    public override async Task<string> RunAsync(TaskOrchestrationContext context, string input)
    {
        context.SetCustomStatus(new { stage = "waiting" });
        try
        {
            var decision = await context.WaitForExternalEvent<string>("Approval", TimeSpan.FromDays(30));
            return $"approved:{decision}";
        }
        catch (TaskCanceledException)
        {
            return "timed out";
        }
    }
}

/// <summary>WhenAny of an event and a one-hour timer.</summary>
public sealed class RaceOrchestrator : TaskOrchestrator<object?, string>
{
    public override async Task<string> RunAsync(TaskOrchestrationContext context, object? input)
    {
        using var cts = new CancellationTokenSource();
        var timer = context.CreateTimer(TimeSpan.FromHours(1), cts.Token);
        var signal = context.WaitForExternalEvent<int>("Signal");
        var winner = await Task.WhenAny(timer, signal);
        if (winner == signal)
        {
            cts.Cancel();
            return $"event:{await signal}";
        }

        return "timer";
    }
}

/// <summary>Calls an activity first, then reads two "Item" events in arrival order.</summary>
public sealed class TwoEventsOrchestrator : TaskOrchestrator<object?, string>
{
    public override async Task<string> RunAsync(TaskOrchestrationContext context, object? input)
    {
        await context.CallActivityAsync<string>(nameof(SayHello), "first");
        var a = await context.WaitForExternalEvent<string>("Item");
        var b = await context.WaitForExternalEvent<string>("Item");
        return a + b;
    }
}

public sealed class RetryOrchestrator : TaskOrchestrator<int, string>
{
    public override Task<string> RunAsync(TaskOrchestrationContext context, int input)
    {
        var policy = new RetryPolicy(maxNumberOfAttempts: input, firstRetryInterval: TimeSpan.FromSeconds(10), backoffCoefficient: 2.0, maxRetryInterval: TimeSpan.FromSeconds(30))
        {
            HandleFailure = failure => failure.IsCausedBy<InvalidOperationException>(),
        };
        return context.CallActivityAsync<string>(nameof(Flaky), "payment", TaskOptions.FromRetryPolicy(policy));
    }
}

public sealed record ParentInput(string Mode, string ChildId);

/// <summary>Calls a child; reports the child's failure chain instead of failing.</summary>
public sealed class ParentOrchestrator : TaskOrchestrator<ParentInput, string>
{
    public override async Task<string> RunAsync(TaskOrchestrationContext context, ParentInput input)
    {
        try
        {
            var result = await context.CallSubOrchestratorAsync<string>(nameof(ChildOrchestrator), input.Mode, new SubOrchestrationOptions(input.ChildId));
            return $"child said {result}";
        }
        catch (TaskFailedException ex)
        {
            var chain = new List<string>();
            for (var failure = ex.FailureDetails; failure is not null; failure = failure.InnerFailure)
            {
                chain.Add($"{failure.ErrorType}:{failure.ErrorMessage}");
            }

            return string.Join(" <- ", chain);
        }
    }
}

public sealed class ChildOrchestrator : TaskOrchestrator<string, string>
{
    public override async Task<string> RunAsync(TaskOrchestrationContext context, string input) => input switch
    {
        "fail" => await context.CallActivityAsync<string>("Explode", input),
        "wait" => await context.WaitForExternalEvent<string>("ChildGo"),
        _ => await context.CallActivityAsync<string>(nameof(SayHello), input),
    };
}

public sealed record CounterState(int Count, int Target);

/// <summary>Eternal-style counter: one activity per generation, then ContinueAsNew.</summary>
public sealed class CounterOrchestrator : TaskOrchestrator<CounterState, int>
{
    public override async Task<int> RunAsync(TaskOrchestrationContext context, CounterState input)
    {
        if (input.Count >= input.Target)
        {
            return input.Count;
        }

        var next = await context.CallActivityAsync<int>(nameof(Increment), input.Count);
        context.ContinueAsNew(input with { Count = next });
        return next;
    }
}

public sealed record CarryInput(bool Preserve, int Generation);

/// <summary>Generation 0 waits for "Next" then continues as new; generation 1 reads a "Carried" event.</summary>
public sealed class CarryOverOrchestrator : TaskOrchestrator<CarryInput, string>
{
    public override async Task<string> RunAsync(TaskOrchestrationContext context, CarryInput input)
    {
        if (input.Generation == 0)
        {
            await context.WaitForExternalEvent<string>("Next");
            context.ContinueAsNew(input with { Generation = 1 }, preserveUnprocessedEvents: input.Preserve);
            return "continued";
        }

        return await context.WaitForExternalEvent<string>("Carried", TimeSpan.FromHours(1));
    }
}

/// <summary>Sets a GUID and time as custom status, sleeps, and returns the values recomputed after replay.</summary>
public sealed class DeterministicValuesOrchestrator : TaskOrchestrator<object?, string>
{
    public override async Task<string> RunAsync(TaskOrchestrationContext context, object? input)
    {
        var id = context.NewGuid();
        var startedAt = context.CurrentUtcDateTime;
        context.SetCustomStatus($"{id}|{startedAt:o}");
        context.CreateReplaySafeLogger<DeterministicValuesOrchestrator>().LogStep(context.InstanceId);
        await context.CreateTimer(TimeSpan.FromMinutes(5), CancellationToken.None);
        return $"{id}|{startedAt:o}|{context.NewGuid()}|{context.CurrentUtcDateTime:o}|{context.Version}";
    }
}

/// <summary>Schedules a different activity when the switch is flipped: a deliberately non-deterministic change.</summary>
public sealed class EvolvingOrchestrator(CodeVersionSwitch codeVersion) : TaskOrchestrator<object?, string>
{
    public override async Task<string> RunAsync(TaskOrchestrationContext context, object? input)
    {
        if (codeVersion.UseNewCode)
        {
            await context.CreateTimer(TimeSpan.FromSeconds(1), CancellationToken.None);
        }
        else
        {
            await context.CallActivityAsync<string>(nameof(SayHello), "v1");
        }

        return await context.WaitForExternalEvent<string>("Go");
    }
}

public sealed class ThrowingOrchestrator : TaskOrchestrator<string, string>
{
    public override async Task<string> RunAsync(TaskOrchestrationContext context, string input)
    {
        await context.CallActivityAsync<string>(nameof(SayHello), input);
        throw new InvalidOperationException($"orchestrator gave up on {input}");
    }
}
