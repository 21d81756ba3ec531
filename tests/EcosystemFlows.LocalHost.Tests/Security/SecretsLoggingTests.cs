using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using EcosystemFlows.Api.Offerings;
using EcosystemFlows.Api.Security;
using EcosystemFlows.Domain.Tests;
using EcosystemFlows.LocalHost.Tests.Hosting;
using EcosystemFlows.Workflows.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EcosystemFlows.LocalHost.Tests.Security;

/// <summary>
/// Runs real requests and a flow with every log category at Trace (the JWT handler's and ASP.NET Core's
/// own included) and secret-looking values in every secret setting, then scans the captured log text
/// for the tokens, the keys and the connection strings.
/// </summary>
public sealed class SecretsLoggingTests
{
    [Fact]
    public async Task Logs_RequestsAndFlowAtTrace_NeverContainTokensKeysOrConnectionStrings()
    {
        // Arrange
        var cosmosKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(64));
        var storageKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(64));
        var serviceBusKey = $"sb-secret-{Guid.NewGuid():N}";
        var storage = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={storageKey};BlobEndpoint=http://127.0.0.1:1/devstoreaccount1;QueueEndpoint=http://127.0.0.1:1/devstoreaccount1;";
        var serviceBus = $"Endpoint=sb://localhost:1;SharedAccessKeyName=ecoflows;SharedAccessKey={serviceBusKey};UseDevelopmentEmulator=true;";
        var capture = new CapturingLoggerProvider();
        await using var app = new AppFactory(
            new Dictionary<string, string?>
            {
                ["Cosmos:AccountKey"] = cosmosKey,
                ["Storage:ConnectionString"] = storage,
                ["ServiceBus:ConnectionString"] = serviceBus,
                ["Logging:LogLevel:Default"] = "Trace",
                ["Logging:LogLevel:Microsoft"] = "Trace",
                ["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace",
                ["Logging:LogLevel:Microsoft.Extensions.Diagnostics.HealthChecks"] = "Trace",
            },
            services => services.AddSingleton<ILoggerProvider>(capture));
        SecurityKit.Seed(app);
        var token = SecurityKit.Token("alice", "contoso", Roles.Partner, Roles.Approver);
        var wrongKey = DevelopmentTokens.Mint(new AuthOptions { Audience = SecurityKit.Auth.Audience, Issuer = SecurityKit.Auth.Issuer, DevelopmentSigningKey = Convert.ToBase64String(new byte[32]) }, "mallory", "contoso", [Roles.Partner], TimeSpan.FromMinutes(5), DateTimeOffset.UtcNow);
        var expired = DevelopmentTokens.Mint(SecurityKit.Auth, "alice", "contoso", [Roles.Partner], TimeSpan.FromMinutes(5), DateTimeOffset.UtcNow.AddHours(-2));

        // Act: a flow with a valid token, rejected tokens, the readiness probe (every dependency fails) and bad input.
        var id = await SecurityKit.StartOfferingAsync(app, "alice", "contoso", Examples.Terms());
        using var client = SecurityKit.Client(app, token);
        (await client.PostAsJsonAsync($"/api/offerings/{id}/signoffs/member-contoso", new SignOffRequest(true, "ok", Examples.Terms().TermsHash), SecurityKit.Json)).Dispose();
        (await client.GetAsync(new Uri($"/api/offerings/{id}/audit", UriKind.Relative))).Dispose();
        (await client.PostAsync(new Uri("/api/offerings", UriKind.Relative), new StringContent("{not json", System.Text.Encoding.UTF8, "application/json"))).Dispose();
        foreach (var rejected in new[] { wrongKey, expired, token + "tampered" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/offerings");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", rejected);
            (await app.CreateClient().SendAsync(request)).Dispose();
        }

        (await app.CreateClient().GetAsync(new Uri("/readyz", UriKind.Relative))).Dispose();

        // Assert
        var logs = capture.Text;
        Assert.True(logs.Length > 1000, "the capture saw almost nothing: the test would prove nothing");
        Assert.Contains("Microsoft.AspNetCore.Authentication", logs, StringComparison.Ordinal);
        var secrets = new Dictionary<string, string>
        {
            ["valid token"] = token,
            ["valid token signature"] = token.Split('.')[2],
            ["token signed with another key"] = wrongKey,
            ["expired token"] = expired,
            ["development signing key"] = AppFactory.TestSigningKey,
            ["Cosmos key"] = cosmosKey,
            ["storage account key"] = storageKey,
            ["storage connection string"] = storage,
            ["Service Bus key"] = serviceBusKey,
            ["Service Bus connection string"] = serviceBus,
        };
        var leaks = secrets.Where(s => logs.Contains(s.Value, StringComparison.Ordinal)).Select(s => s.Key).ToList();
        Assert.True(leaks.Count == 0, $"secrets found in the logs: {string.Join(", ", leaks)}");
    }

    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        private readonly ConcurrentQueue<string> _lines = new();

        public string Text => string.Join("\n", _lines);

        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull
            {
                lines.Enqueue($"{category} scope: {state}");
                return null;
            }

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var structured = state is IEnumerable<KeyValuePair<string, object?>> values ? string.Join(" ", values.Select(v => $"{v.Key}={v.Value}")) : "";
                lines.Enqueue($"{logLevel} {category}[{eventId}] {formatter(state, exception)} {structured} {exception}");
            }
        }
    }
}
