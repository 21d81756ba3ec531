using Microsoft.DurableTask;

namespace EcosystemFlows.IntegrationTests.DurableTask;

/// <summary>The orchestrations and activities the engine scenarios run.</summary>
public static class ScenarioRegistration
{
    public static void RegisterAll(DurableTaskRegistry registry) => registry
        .AddActivity<Greet>()
        .AddActivity<Fail>()
        .AddActivity<MakeLarge>()
        .AddOrchestrator<SequenceFlow>()
        .AddOrchestrator<FanOutFlow>()
        .AddOrchestrator<ApprovalFlow>()
        .AddOrchestrator<ParentFlow>()
        .AddOrchestrator<FailingChildFlow>()
        .AddOrchestrator<ParentOfReportingChildFlow>()
        .AddOrchestrator<ReportParentFlow>()
        .AddOrchestrator<CounterFlow>()
        .AddOrchestrator<LargePayloadFlow>()
        .AddOrchestrator<EventsFlow>();
}

public sealed class SequenceFlow : TaskOrchestrator<string, List<string>>
{
    public override async Task<List<string>> RunAsync(TaskOrchestrationContext context, string input)
    {
        var greetings = new List<string>();
        foreach (var city in new[] { "Tokyo", "Seattle", input })
        {
            greetings.Add(await context.CallActivityAsync<string>(nameof(Greet), city));
        }

        return greetings;
    }
}

public sealed class FanOutFlow : TaskOrchestrator<int, int>
{
    public override async Task<int> RunAsync(TaskOrchestrationContext context, int input)
    {
        var results = await Task.WhenAll(Enumerable.Range(0, input).Select(i => context.CallActivityAsync<string>(nameof(Greet), $"p{i}")));
        return results.Distinct().Count();
    }
}

public sealed class ApprovalFlow : TaskOrchestrator<int, string>
{
    public override async Task<string> RunAsync(TaskOrchestrationContext context, int input)
    {
        context.SetCustomStatus(new { stage = "waiting" });
        try
        {
            return "approved:" + await context.WaitForExternalEvent<string>("Approval", TimeSpan.FromMilliseconds(input));
        }
        catch (TaskCanceledException)
        {
            return "timed out";
        }
    }
}

public sealed class ParentFlow : TaskOrchestrator<string, string>
{
    public override async Task<string> RunAsync(TaskOrchestrationContext context, string input)
    {
        try
        {
            return await context.CallSubOrchestratorAsync<string>(nameof(FailingChildFlow), input);
        }
        catch (TaskFailedException ex)
        {
            return $"child failed: {ex.FailureDetails.InnerFailure?.ErrorMessage ?? ex.FailureDetails.ErrorMessage}";
        }
    }
}

public sealed class ParentOfReportingChildFlow : TaskOrchestrator<string, string>
{
    public override Task<string> RunAsync(TaskOrchestrationContext context, string input) =>
        context.CallSubOrchestratorAsync<string>(nameof(ReportParentFlow), input);
}

public sealed class ReportParentFlow : TaskOrchestrator<string, string>
{
    public override Task<string> RunAsync(TaskOrchestrationContext context, string input) =>
        Task.FromResult(context.Parent is { } parent ? $"{parent.Name}/{parent.InstanceId}" : "no parent");
}

public sealed class FailingChildFlow : TaskOrchestrator<string, string>
{
    public override async Task<string> RunAsync(TaskOrchestrationContext context, string input) =>
        await context.CallActivityAsync<string>(nameof(Fail), input);
}

public sealed class CounterFlow : TaskOrchestrator<int, int>
{
    public override Task<int> RunAsync(TaskOrchestrationContext context, int input)
    {
        if (input < 20)
        {
            context.ContinueAsNew(input + 1);
        }

        return Task.FromResult(input);
    }
}

public sealed class LargePayloadFlow : TaskOrchestrator<int, int>
{
    public override async Task<int> RunAsync(TaskOrchestrationContext context, int input)
    {
        var total = 0;
        for (var i = 0; i < 3; i++)
        {
            total += (await context.CallActivityAsync<string>(nameof(MakeLarge), input)).Length;
        }

        return total;
    }
}

public sealed class EventsFlow : TaskOrchestrator<int, string>
{
    public override async Task<string> RunAsync(TaskOrchestrationContext context, int input)
    {
        var items = new List<string>();
        for (var i = 0; i < input; i++)
        {
            items.Add(await context.WaitForExternalEvent<string>("Item"));
        }

        return string.Join(",", items);
    }
}

public sealed class Greet : TaskActivity<string, string>
{
    public override Task<string> RunAsync(TaskActivityContext context, string input) => Task.FromResult($"Hello {input}!");
}

public sealed class Fail : TaskActivity<string, string>
{
    public override Task<string> RunAsync(TaskActivityContext context, string input) => throw new InvalidOperationException($"cannot {input}");
}

public sealed class MakeLarge : TaskActivity<int, string>
{
    public override Task<string> RunAsync(TaskActivityContext context, int input) => Task.FromResult(new string('x', input));
}
