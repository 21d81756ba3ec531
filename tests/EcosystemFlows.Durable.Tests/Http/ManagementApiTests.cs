using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using EcosystemFlows.Durable.Http;
using EcosystemFlows.Durable.InMemory;
using EcosystemFlows.Durable.Tests.Samples;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace EcosystemFlows.Durable.Tests.Http;

public sealed class ManagementApiTests : IAsyncLifetime
{
    private const string Instances = "/webhooks/durabletask/instances";
    private WebApplication _app = null!;
    private HttpClient _http = null!;

    private InMemoryDispatcher Dispatcher => _app.Services.GetRequiredService<InMemoryDispatcher>();

    private DurableTaskClient Client => _app.Services.GetRequiredService<DurableTaskClient>();

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero));
        builder.Services.AddSingleton<TimeProvider>(clock).AddSingleton<SideEffectLog>().AddSingleton<CodeVersionSwitch>();
        builder.Services.AddDurableTask(SampleRegistration.RegisterAll).UseInMemoryBackend();
        builder.Services.Configure<DurableTaskOptions>(o => o.ClientPollingInterval = TimeSpan.FromMilliseconds(2));
        builder.Services.AddProblemDetails();
        _app = builder.Build();
        _app.MapDurableManagementApi();
        _app.MapPost("/api/start/{name}", async (string name, HttpRequest request, DurableTaskClient client) =>
            DurableManagementApi.CreateCheckStatusResponse(request, await client.ScheduleNewOrchestrationInstanceAsync(name, "Quito")));
        await _app.StartAsync();
        _http = _app.GetTestClient();
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    [Fact]
    public async Task CreateCheckStatusResponse_Starter_Returns202WithLocationAndManagementUris()
    {
        var response = await _http.PostAsync("/api/start/HelloSequenceOrchestrator", null);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = body.GetProperty("id").GetString()!;
        var status = $"http://localhost{Instances}/{id}";
        Assert.Equal(status, response.Headers.Location!.ToString());
        Assert.Equal(status, body.GetProperty("statusQueryGetUri").GetString());
        Assert.Equal(status + "/raiseEvent/{eventName}", body.GetProperty("sendEventPostUri").GetString());
        Assert.Equal(status + "/terminate?reason={text}", body.GetProperty("terminatePostUri").GetString());
        Assert.Equal(status + "/suspend?reason={text}", body.GetProperty("suspendPostUri").GetString());
        Assert.Equal(status + "/resume?reason={text}", body.GetProperty("resumePostUri").GetString());
        Assert.Equal(status, body.GetProperty("purgeHistoryDeleteUri").GetString());
    }

    [Fact]
    public async Task GetInstance_CompletedWithHistory_Returns200InDurableShape()
    {
        var id = await Client.ScheduleNewOrchestrationInstanceAsync(nameof(HelloSequenceOrchestrator), "Quito");
        await Client.WaitForInstanceCompletionAsync(id).WaitAsync(TimeSpan.FromSeconds(10));

        var response = await _http.GetAsync($"{Instances}/{id}?showHistory=true");
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(nameof(HelloSequenceOrchestrator), body.GetProperty("name").GetString());
        Assert.Equal(id, body.GetProperty("instanceId").GetString());
        Assert.Equal("Completed", body.GetProperty("runtimeStatus").GetString());
        Assert.Equal("Quito", body.GetProperty("input").GetString());
        Assert.Equal("Hello Quito!", body.GetProperty("output")[2].GetString());
        Assert.Equal("2026-03-01T00:00:00+00:00", body.GetProperty("createdTime").GetString());
        Assert.True(body.TryGetProperty("lastUpdatedTime", out _));
        var events = body.GetProperty("historyEvents").EnumerateArray().Select(e => e.GetProperty("eventType").GetString()).ToList();
        Assert.Equal("ExecutionStarted", events[1]);
        Assert.Equal("ExecutionCompleted", events[^1]);
    }

    [Fact]
    public async Task GetInstance_RunningWithoutInput_Returns202AndHidesInput()
    {
        var id = await Client.ScheduleNewOrchestrationInstanceAsync(nameof(ApprovalOrchestrator), "secret");
        await Dispatcher.WaitForIdleAsync(TimeSpan.FromSeconds(10));

        var response = await _http.GetAsync($"{Instances}/{id}?showInput=false");
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("Running", body.GetProperty("runtimeStatus").GetString());
        Assert.False(body.TryGetProperty("input", out var input) && input.ValueKind != JsonValueKind.Null);
        Assert.Equal("waiting", body.GetProperty("customStatus").GetProperty("stage").GetString());
        Assert.False(body.TryGetProperty("historyEvents", out var history) && history.ValueKind != JsonValueKind.Null);
    }

    [Fact]
    public async Task GetInstance_Unknown_Returns404ProblemDetails()
    {
        var response = await _http.GetAsync($"{Instances}/missing");
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(404, body.GetProperty("status").GetInt32());
        Assert.Equal("Instance not found", body.GetProperty("title").GetString());
    }

    [Theory]
    [InlineData("GET", "a%3Fb")]
    [InlineData("GET", "a%23b")]
    [InlineData("GET", "a%5Cb")]
    [InlineData("DELETE", "a%01b")]
    [InlineData("POST", "a%0Ab/terminate")]
    public async Task AnyOperation_InstanceIdCosmosCannotHold_Returns400ProblemDetails(string method, string path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), $"{Instances}/{path}");

        var response = await _http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Invalid instance id", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetInstance_IdLongerThan255_Returns400()
    {
        var response = await _http.GetAsync($"{Instances}/{new string('a', 256)}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task RaiseEvent_RunningInstance_Returns202AndDeliversPayload()
    {
        var id = await Client.ScheduleNewOrchestrationInstanceAsync(nameof(ApprovalOrchestrator), "x");
        await Dispatcher.WaitForIdleAsync(TimeSpan.FromSeconds(10));

        var response = await _http.PostAsync($"{Instances}/{id}/raiseEvent/Approval", new StringContent("\"dave\"", Encoding.UTF8, "application/json"));
        var result = await Client.WaitForInstanceCompletionAsync(id, true).WaitAsync(TimeSpan.FromSeconds(10));
        var again = await _http.PostAsync($"{Instances}/{id}/raiseEvent/Approval", new StringContent("\"eve\"", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("approved:dave", result.ReadOutputAs<string>());
        Assert.Equal(HttpStatusCode.Gone, again.StatusCode);
    }

    [Fact]
    public async Task RaiseEvent_InvalidJsonOrUnknownInstance_Returns400Or404()
    {
        var id = await Client.ScheduleNewOrchestrationInstanceAsync(nameof(ApprovalOrchestrator), "x");

        var invalid = await _http.PostAsync($"{Instances}/{id}/raiseEvent/Approval", new StringContent("{not json", Encoding.UTF8, "application/json"));
        var unknown = await _http.PostAsync($"{Instances}/nobody/raiseEvent/Approval", null);

        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task SuspendResumeTerminate_RunningInstance_ChangeStatus()
    {
        var id = await Client.ScheduleNewOrchestrationInstanceAsync(nameof(ApprovalOrchestrator), "x");
        await Dispatcher.WaitForIdleAsync(TimeSpan.FromSeconds(10));

        var suspend = await _http.PostAsync($"{Instances}/{id}/suspend?reason=audit", null);
        await Dispatcher.WaitForIdleAsync(TimeSpan.FromSeconds(10));
        var suspended = (await Client.GetInstanceAsync(id))!.RuntimeStatus;
        var resume = await _http.PostAsync($"{Instances}/{id}/resume", null);
        await Dispatcher.WaitForIdleAsync(TimeSpan.FromSeconds(10));
        var resumed = (await Client.GetInstanceAsync(id))!.RuntimeStatus;
        var terminate = await _http.PostAsync($"{Instances}/{id}/terminate?reason=stop", null);
        var terminated = await Client.WaitForInstanceCompletionAsync(id, true).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.All([suspend, resume, terminate], r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
        Assert.Equal(OrchestrationRuntimeStatus.Suspended, suspended);
        Assert.Equal(OrchestrationRuntimeStatus.Running, resumed);
        Assert.Equal(OrchestrationRuntimeStatus.Terminated, terminated.RuntimeStatus);
        Assert.Equal("stop", terminated.ReadOutputAs<string>());
    }

    [Fact]
    public async Task Restart_FailedRunningUnknown_Returns202Or409Or404()
    {
        var id = await Client.ScheduleNewOrchestrationInstanceAsync(nameof(ThrowingOrchestrator), "x");
        await Client.WaitForInstanceCompletionAsync(id).WaitAsync(TimeSpan.FromSeconds(10));

        var waiting = await Client.ScheduleNewOrchestrationInstanceAsync(nameof(ApprovalOrchestrator), "x");

        var response = await _http.PostAsync($"{Instances}/{id}/restart?restartWithNewInstanceId=true", null);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var running = await _http.PostAsync($"{Instances}/{waiting}/restart", null);
        var unknown = await _http.PostAsync($"{Instances}/nobody/restart", null);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.NotEqual(id, body.GetProperty("id").GetString());
        Assert.Equal(body.GetProperty("statusQueryGetUri").GetString(), response.Headers.Location!.ToString());
        Assert.Equal(HttpStatusCode.Conflict, running.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Purge_TerminalRunningAndUnknown_Return200Or409Or404()
    {
        var done = await Client.ScheduleNewOrchestrationInstanceAsync(nameof(HelloSequenceOrchestrator), "x");
        var running = await Client.ScheduleNewOrchestrationInstanceAsync(nameof(ApprovalOrchestrator), "x");
        await Client.WaitForInstanceCompletionAsync(done).WaitAsync(TimeSpan.FromSeconds(10));

        var purged = await _http.DeleteAsync($"{Instances}/{done}");
        var conflict = await _http.DeleteAsync($"{Instances}/{running}");
        var missing = await _http.DeleteAsync($"{Instances}/{done}");

        Assert.Equal(HttpStatusCode.OK, purged.StatusCode);
        Assert.Equal(1, (await purged.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("instancesDeleted").GetInt32());
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task ListInstances_FiltersAndContinuationHeader_PagesThroughMatches()
    {
        for (var i = 0; i < 5; i++)
        {
            await Client.ScheduleNewOrchestrationInstanceAsync(nameof(ApprovalOrchestrator), "x", new StartOrchestrationOptions { InstanceId = $"list-{i}" });
        }

        await Client.ScheduleNewOrchestrationInstanceAsync(nameof(HelloSequenceOrchestrator), "x", new StartOrchestrationOptions { InstanceId = "list-done" });
        await Client.WaitForInstanceCompletionAsync("list-done").WaitAsync(TimeSpan.FromSeconds(10));
        await Dispatcher.WaitForIdleAsync(TimeSpan.FromSeconds(10));
        var url = $"{Instances}?runtimeStatus=Running,Pending&instanceIdPrefix=list-&top=2&createdTimeFrom=2026-03-01T00:00:00Z";

        var ids = new List<string>();
        string? token = null;
        var pages = 0;
        do
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            if (token is not null)
            {
                request.Headers.Add(DurableManagementApi.ContinuationHeader, token);
            }

            var response = await _http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            ids.AddRange((await response.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray().Select(e => e.GetProperty("instanceId").GetString()!));
            token = response.Headers.TryGetValues(DurableManagementApi.ContinuationHeader, out var values) ? values.Single() : null;
            pages++;
        }
        while (token is not null);
        var invalid = await _http.GetAsync($"{Instances}?runtimeStatus=Sleeping");

        Assert.Equal(["list-0", "list-1", "list-2", "list-3", "list-4"], ids.Order(StringComparer.Ordinal));
        Assert.Equal(3, pages);
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
    }
}
