using System.Diagnostics;

namespace EcosystemFlows.Durable.Tests.Diagnostics;

/// <summary>Does "library work" on its own span, as a Service Bus send inside an activity would.</summary>
public sealed class TracedStep : TaskActivity<string, string>
{
    public const string LibraryName = "EcosystemFlows.Tests.TracedLibrary";

    public static readonly ActivitySource Library = new(LibraryName);

    public override Task<string> RunAsync(TaskActivityContext context, string input)
    {
        using var send = Library.StartActivity("send " + input, ActivityKind.Producer);
        return Task.FromResult(input);
    }
}

public sealed class TracedFailure : TaskActivity<string, string>
{
    public override Task<string> RunAsync(TaskActivityContext context, string input) =>
        throw new InvalidOperationException($"{input} failed");
}
