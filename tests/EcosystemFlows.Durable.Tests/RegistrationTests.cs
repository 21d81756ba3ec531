using EcosystemFlows.Durable.InMemory;
using EcosystemFlows.Durable.Tests.Samples;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace EcosystemFlows.Durable.Tests;

public sealed class RegistrationTests
{
    [Fact]
    public void AddDurableTask_HostJsonSection_BindsDefaultVersionAndValidates()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["extensions:durableTask:defaultVersion"] = "1.0",
            ["extensions:durableTask:maxDequeueCount"] = "0",
        }).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration);
        services.AddDurableTask(SampleRegistration.RegisterAll).UseInMemoryBackend().BindConfiguration("extensions:durableTask");
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<DurableTaskOptions>>().Value);

        Assert.Contains("MaxDequeueCount", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddDurableTask_ValidSection_ResolvesClientWithDefaultVersion()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["extensions:durableTask:defaultVersion"] = "1.0",
        }).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging();
        services.AddDurableTask(SampleRegistration.RegisterAll).UseInMemoryBackend().BindConfiguration("extensions:durableTask");
        using var provider = services.BuildServiceProvider();

        Assert.Equal("1.0", provider.GetRequiredService<IOptions<DurableTaskOptions>>().Value.DefaultVersion);
        Assert.NotNull(provider.GetRequiredService<DurableTaskClient>());
    }

    [Fact]
    public void AddOrchestrator_NameFromAttributeOrClass_AndDuplicateNameRejected()
    {
        var registry = new DurableTaskRegistry();
        SampleRegistration.RegisterAll(registry);

        Assert.True(registry.TryGetActivity("Explode", out var attributed));
        Assert.Equal(typeof(FailingActivity), attributed);
        Assert.True(registry.TryGetOrchestrator("approvalorchestrator", out _));
        Assert.Equal("SayHello", DurableTaskRegistry.GetName<SayHello>());
        Assert.Throws<ArgumentException>(() => registry.AddActivity<DuplicateExplode>());
    }

    [DurableTask("Explode")]
    private sealed class DuplicateExplode : TaskActivity<string, string>
    {
        public override Task<string> RunAsync(TaskActivityContext context, string input) => Task.FromResult(input);
    }
}
