using System.Reflection;

namespace EcosystemFlows.Durable;

/// <summary>
/// Orchestrators and activities by name. Registration is by type; the name is the class name or the
/// <see cref="DurableTaskAttribute"/> value (case-insensitive).
/// </summary>
public sealed class DurableTaskRegistry
{
    private readonly Dictionary<string, Type> _orchestrators = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, Type> _activities = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Registers orchestrator <typeparamref name="TOrchestrator"/>.</summary>
    public DurableTaskRegistry AddOrchestrator<TOrchestrator>() where TOrchestrator : class, ITaskOrchestrator
    {
        Add(_orchestrators, typeof(TOrchestrator));
        return this;
    }

    /// <summary>Registers activity <typeparamref name="TActivity"/>.</summary>
    public DurableTaskRegistry AddActivity<TActivity>() where TActivity : class, ITaskActivity
    {
        Add(_activities, typeof(TActivity));
        return this;
    }

    /// <summary>The task name of <paramref name="type"/>.</summary>
    public static string GetName(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        return type.GetCustomAttribute<DurableTaskAttribute>()?.Name ?? type.Name;
    }

    /// <summary>The task name of <typeparamref name="T"/>.</summary>
    public static string GetName<T>() => GetName(typeof(T));

    internal bool TryGetOrchestrator(string name, out Type type) => _orchestrators.TryGetValue(name, out type!);

    internal bool TryGetActivity(string name, out Type type) => _activities.TryGetValue(name, out type!);

    private static void Add(Dictionary<string, Type> map, Type type)
    {
        var name = GetName(type);
        if (map.TryGetValue(name, out var existing) && existing != type)
        {
            throw new ArgumentException($"The task name '{name}' is already registered by {existing.FullName}.", nameof(type));
        }

        map[name] = type;
    }
}
