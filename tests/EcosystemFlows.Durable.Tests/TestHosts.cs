using EcosystemFlows.Durable.Testing;
using EcosystemFlows.Durable.Tests.Samples;
using Microsoft.Extensions.DependencyInjection;

namespace EcosystemFlows.Durable.Tests;

internal static class TestHosts
{
    public static Task<DurableTestHost> StartAsync(Action<DurableTestHostOptions>? configure = null) =>
        DurableTestHost.StartAsync(SampleRegistration.RegisterAll, options =>
        {
            options.ConfigureServices = services => services.AddSingleton<SideEffectLog>().AddSingleton<CodeVersionSwitch>();
            configure?.Invoke(options);
        });

    public static SideEffectLog Effects(this DurableTestHost host) => host.Services.GetRequiredService<SideEffectLog>();
}
