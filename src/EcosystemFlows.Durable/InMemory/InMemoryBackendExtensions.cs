using EcosystemFlows.Durable.Ports;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace EcosystemFlows.Durable.InMemory;

/// <summary>Registration of the in-memory backend.</summary>
public static class InMemoryBackendExtensions
{
    /// <summary>Uses <see cref="InMemoryInstanceStore"/> and <see cref="InMemoryDispatcher"/> (single process, nothing durable).</summary>
    public static DurableTaskBuilder UseInMemoryBackend(this DurableTaskBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton<InMemoryInstanceStore>();
        builder.Services.TryAddSingleton(sp => new InMemoryDispatcher(sp.GetRequiredService<TimeProvider>()));
        builder.Services.TryAddSingleton<IInstanceStore>(sp => sp.GetRequiredService<InMemoryInstanceStore>());
        builder.Services.TryAddSingleton<IMessageDispatcher>(sp => sp.GetRequiredService<InMemoryDispatcher>());
        return builder;
    }
}
