using System.Collections.Concurrent;
using EcosystemFlows.Durable.Tests.Samples;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EcosystemFlows.Durable.Tests;

public sealed class LoggingTests
{
    [Fact]
    public async Task CreateReplaySafeLogger_CodeReplayedInLaterEpisodes_LogsOnlyOnce()
    {
        var sink = new CapturingLoggerProvider();
        await using var host = await TestHosts.StartAsync(o =>
        {
            var registerSamples = o.ConfigureServices;
            o.ConfigureServices = services =>
            {
                registerSamples?.Invoke(services);
                services.AddLogging(b => b.AddProvider(sink));
            };
        });

        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(DeterministicValuesOrchestrator));
        await host.AdvanceTimeAsync(TimeSpan.FromMinutes(5));
        await host.WaitForCompletionAsync(id);

        Assert.Single(sink.Messages, m => m.Contains($"Orchestration {id} took a step", StringComparison.Ordinal));
        Assert.Contains(sink.Messages, m => m.Contains($"Orchestration {id} (DeterministicValuesOrchestrator) finished as Completed", StringComparison.Ordinal));
    }

    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        public ConcurrentQueue<string> Messages { get; } = new();

        public ILogger CreateLogger(string categoryName) => new CapturingLogger(Messages);

        public void Dispose()
        {
        }

        private sealed class CapturingLogger(ConcurrentQueue<string> messages) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                messages.Enqueue(formatter(state, exception));
        }
    }
}
