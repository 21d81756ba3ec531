using System.Net;
using System.Text.Json;

namespace EcosystemFlows.IntegrationTests.EndToEnd;

/// <summary>The app as an operator runs it: a real process over HTTP against the real local services.</summary>
public sealed class HostingEndToEndTests
{
    [Fact]
    public async Task Readyz_AllLocalServicesUp_Returns200WithEveryCheckHealthy()
    {
        await using var app = AppProcess.Start(AppProcess.LocalServiceSettings());
        using var client = await app.WaitUntilLiveAsync(TimeSpan.FromSeconds(60));

        using var response = await client.GetAsync(new Uri("/readyz", UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        using var report = JsonDocument.Parse(body);
        var checks = report.RootElement.GetProperty("checks").EnumerateObject().ToDictionary(c => c.Name, c => c.Value.GetProperty("status").GetString());
        Assert.Equal(["blob", "cosmos", "queue", "servicebus"], checks.Keys.Order(StringComparer.Ordinal));
        Assert.All(checks.Values, status => Assert.Equal("Healthy", status));
    }

    [Fact]
    public async Task Readyz_CosmosUnreachable_Returns503NamingOnlyCosmos()
    {
        var settings = AppProcess.LocalServiceSettings();
        settings["Cosmos__AccountEndpoint"] = "http://127.0.0.1:1/";
        await using var app = AppProcess.Start(settings);
        using var client = await app.WaitUntilLiveAsync(TimeSpan.FromSeconds(60));

        using var response = await client.GetAsync(new Uri("/readyz", UriKind.Relative));
        using var report = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var checks = report.RootElement.GetProperty("checks");
        Assert.Equal("Unhealthy", checks.GetProperty("cosmos").GetProperty("status").GetString());
        Assert.Contains("127.0.0.1:1", checks.GetProperty("cosmos").GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.Equal("Healthy", checks.GetProperty("blob").GetProperty("status").GetString());
        Assert.Equal("Healthy", checks.GetProperty("servicebus").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Main_MissingSetting_ExitsWithCode1NamingIt()
    {
        var settings = AppProcess.LocalServiceSettings();
        settings["Storage__ConnectionString"] = "";
        await using var app = AppProcess.Start(settings);

        var exitCode = await app.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(1, exitCode);
        Assert.Contains("invalid configuration", app.Output, StringComparison.Ordinal);
        Assert.Contains("setting 'Storage:ConnectionString' (environment variable Storage__ConnectionString): is required", app.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Main_SeveralMalformedSettings_ListsEveryOne()
    {
        var settings = AppProcess.LocalServiceSettings();
        settings["ServiceBus__ConnectionString"] = "Endpoint=nope";
        settings["Cosmos__AccountEndpoint"] = "ftp://cosmos.example.com/";
        await using var app = AppProcess.Start(settings);

        var exitCode = await app.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(1, exitCode);
        Assert.Contains("setting 'ServiceBus:ConnectionString' (environment variable ServiceBus__ConnectionString): is malformed", app.Output, StringComparison.Ordinal);
        Assert.Contains("setting 'Cosmos:AccountEndpoint' (environment variable Cosmos__AccountEndpoint): must be an absolute http(s) URI", app.Output, StringComparison.Ordinal);
    }
}
