using System.Collections.Concurrent;
using System.Net;
using System.Text.RegularExpressions;
using EcosystemFlows.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EcosystemFlows.LocalHost.Tests.Hosting;

/// <summary>How a locally run app is hosted: as Development, and without a data-protection key ring it never uses.</summary>
public sealed class HostingEnvironmentTests
{
    [Fact]
    public void RunScript_RunsTheAppAsDevelopment()
    {
        // Arrange
        var script = File.ReadAllText(Path.Combine(FaultsReport.RepositoryRoot(), "eng", "run.sh"));

        // Act
        var appLine = script.Split('\n').Single(l => l.Contains("cd src/EcosystemFlows.LocalHost &&", StringComparison.Ordinal));

        // Assert: it logged "Hosting environment: Production" before.
        Assert.Matches(new Regex(@"ASPNETCORE_ENVIRONMENT=""\$\{ASPNETCORE_ENVIRONMENT:-Development\}"""), appLine);
    }

    [Fact]
    public async Task App_StartedInDevelopment_ServesAndNeverTouchesDataProtectionKeys()
    {
        // Arrange: Development also validates every registration at build (scopes, missing services).
        var logs = new CategoryCapture();
        await using var app = new AppFactory(
            new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Trace", ["Logging:LogLevel:Microsoft"] = "Trace", ["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace" },
            services => services.AddSingleton<ILoggerProvider>(logs),
            environment: "Development");

        // Act
        using var health = await app.CreateClient().GetAsync(new Uri("/healthz", UriKind.Relative));
        using var challenged = await app.CreateClient().GetAsync(new Uri("/api/offerings", UriKind.Relative));

        // Assert: JWT bearer needs no data protection; its key ring warned "No XML encryptor configured" at start.
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, challenged.StatusCode);
        Assert.DoesNotContain(logs.Categories, c => c.StartsWith("Microsoft.AspNetCore.DataProtection", StringComparison.Ordinal));
    }

    private sealed class CategoryCapture : ILoggerProvider
    {
        private readonly ConcurrentDictionary<string, bool> _logged = new(StringComparer.Ordinal);

        public IEnumerable<string> Categories => _logged.Keys;

        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _logged);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, ConcurrentDictionary<string, bool> logged) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                logged[category] = true;
        }
    }
}
