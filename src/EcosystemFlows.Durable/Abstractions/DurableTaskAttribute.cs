namespace EcosystemFlows.Durable;

/// <summary>
/// Overrides the registered name of an orchestrator or activity class. Without it the name is the
/// class name, so <c>nameof(MyOrchestrator)</c> is the name to schedule.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class DurableTaskAttribute : Attribute
{
    /// <summary>Creates the attribute with the task name <paramref name="name"/>.</summary>
    public DurableTaskAttribute(string name)
    {
        Name = name;
    }

    /// <summary>The task name.</summary>
    public string Name { get; }
}
