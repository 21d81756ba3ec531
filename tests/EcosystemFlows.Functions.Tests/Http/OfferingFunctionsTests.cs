using EcosystemFlows.Api.Offerings;
using EcosystemFlows.Domain.Offerings;
using EcosystemFlows.Domain.Tests;
using EcosystemFlows.Functions.Hosting;
using EcosystemFlows.Functions.Http;
using EcosystemFlows.LocalHost.Tests.Workflows;
using EcosystemFlows.Workflows;
using EcosystemFlows.Workflows.JointOffering;
using EcosystemFlows.Workflows.Security;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Moq;

namespace EcosystemFlows.Functions.Tests.Http;

/// <summary>
/// HTTP functions with a mocked <see cref="DurableTaskClient"/> (what <c>[DurableClient]</c> binds) and the app's real
/// services: each reads its request, calls the shared handler and answers what the local host answers.
/// </summary>
public sealed class OfferingFunctionsTests : IDisposable
{
    private static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    private readonly InMemoryPorts _ports = FunctionKit.Ports();
    private readonly ServiceProvider _services;
    private readonly Mock<DurableTaskClient> _client = new("test") { CallBase = true };

    public OfferingFunctionsTests() => _services = FunctionKit.Services(_ports);

    public void Dispose() => _services.Dispose();

    private OfferingFunctions Functions => new(_ports, _ports, _ports, TimeProvider.System);

    [Fact]
    public async Task StartOffering_ValidRequest_SchedulesTheOrchestrationAndAnswers202WithTheStatusUri()
    {
        _client.Setup(c => c.GetInstancesAsync(It.IsAny<string>(), It.IsAny<bool>(), It.IsAny<CancellationToken>())).ReturnsAsync((OrchestrationMetadata?)null);
        _client.Setup(c => c.ScheduleNewOrchestrationInstanceAsync(It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<StartOrchestrationOptions?>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((TaskName _, object? _, StartOrchestrationOptions? options, CancellationToken _) => options!.InstanceId!);
        var body = System.Text.Json.JsonSerializer.Serialize(new { terms = Examples.Terms(), signOffWindowDays = 14 }, Json);
        var request = FunctionKit.Request(_services, "POST", "/api/offerings", body, FunctionKit.User("alice", Examples.Vendor.PartnerId, Roles.Partner));
        request.Headers["Idempotency-Key"] = "key-1";

        var (status, answer) = await FunctionKit.ExecuteAsync(await Functions.StartOffering(request, _client.Object), request);

        var offeringId = OfferingCommands.OfferingIdFor(Examples.Vendor.PartnerId, "key-1");
        Assert.Equal(202, status);
        Assert.Equal($"/api/offerings/{offeringId}", request.HttpContext.Response.Headers.Location.ToString());
        Assert.Contains($"\"offeringId\":\"{offeringId}\"", answer, StringComparison.Ordinal);
        _client.Verify(
            c => c.ScheduleNewOrchestrationInstanceAsync(
                It.Is<TaskName>(n => n.Name == nameof(JointOfferingOrchestrator)),
                It.Is<object?>(i => i is JointOfferingInput && ((JointOfferingInput)i).SignOffWindow == TimeSpan.FromDays(14)),
                It.Is<StartOrchestrationOptions?>(o => o!.InstanceId == offeringId),
                It.IsAny<CancellationToken>()),
            Times.Once);
    }

    [Fact]
    public async Task StartOffering_MalformedJson_AnswersTheLocalHostsValidationProblemNamingTheField()
    {
        var request = FunctionKit.Request(_services, "POST", "/api/offerings", """{"terms":{"name":42}}""", FunctionKit.User("alice", "contoso", Roles.Partner));
        var context = FunctionKit.Invocation(_services, $"{typeof(OfferingFunctions).FullName}.{nameof(OfferingFunctions.StartOffering)}", request);
        var middleware = new ProblemsMiddleware(_services.GetServices<IExceptionHandler>(), _services.GetRequiredService<IProblemDetailsService>());

        await middleware.Invoke(context.Object, async _ => await Functions.StartOffering(request, _client.Object));

        var (status, answer) = FunctionKit.Answer(request);
        Assert.Equal(400, status);
        Assert.Contains("\"terms.name\"", answer, StringComparison.Ordinal);
        _client.VerifyNoOtherCalls();
    }

    [Fact]
    public async Task StartOffering_BodyThatIsNotJson_Answers415()
    {
        var request = FunctionKit.Request(_services, "POST", "/api/offerings", "terms", FunctionKit.User("alice", "contoso", Roles.Partner));
        request.ContentType = "text/plain";

        var failure = await Assert.ThrowsAsync<BadHttpRequestException>(() => Functions.StartOffering(request, _client.Object));

        Assert.Equal(415, failure.StatusCode);
    }

    [Fact]
    public async Task GetOffering_OfferingOfAnotherOrganisation_Answers404LikeAMissingOne()
    {
        const string offeringId = "off-foreign";
        _client.Setup(c => c.GetInstancesAsync(offeringId, It.IsAny<bool>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(new OrchestrationMetadata(nameof(JointOfferingOrchestrator), offeringId)
            {
                RuntimeStatus = OrchestrationRuntimeStatus.Running,
                SerializedInput = WorkflowJson.Converter.Serialize(new JointOfferingInput(offeringId, "contoso", "alice", Examples.Terms(), TimeSpan.FromDays(14))),
                DataConverter = WorkflowJson.Converter,
            });
        var request = FunctionKit.Request(_services, "GET", $"/api/offerings/{offeringId}", user: FunctionKit.User("mallory", "fabrikam-not-a-member", Roles.Partner));

        var (status, answer) = await FunctionKit.ExecuteAsync(await Functions.GetOffering(request, offeringId, _client.Object), request);

        Assert.Equal(404, status);
        Assert.Contains(offeringId, answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListDecidedApprovals_CallersDecisions_AnswersTheirGatesWithOfferingNames()
    {
        var terms = Examples.Terms();
        _ports.Offerings["off-1"] = new Domain.Ports.OfferingSnapshot("off-1", "contoso", terms, "Launched", true, null);
        _ports.Audit["off-1"] =
        [
            new Domain.Ports.AuditEntry("off-1-7", 7, DateTime.UtcNow, "ivan", SignOffRecord.AuditAction, new SignOffRecord("legal", false, "cap too low").Detail),
            new Domain.Ports.AuditEntry("off-1-8", 8, DateTime.UtcNow, "carol", SignOffRecord.AuditAction, new SignOffRecord("sponsor", true, null).Detail),
        ];
        var request = FunctionKit.Request(_services, "GET", "/api/approvals/decided", user: FunctionKit.User("ivan", null, Roles.Approver));

        var (status, answer) = await FunctionKit.ExecuteAsync(await Functions.ListDecidedApprovals(request), request);

        Assert.Equal(200, status);
        var page = System.Text.Json.JsonSerializer.Deserialize<Domain.Ports.Page<DecidedApproval>>(answer, Json)!;
        Assert.Equal([("off-1", terms.Name, "legal", false, "cap too low")], page.Items.Select(d => (d.OfferingId, d.OfferingName, d.GateId, d.Approved, d.Comment)));
    }

    [Fact]
    public async Task GetInstance_IdNoInstanceCanHave_Answers400WithoutAskingTheTaskHub()
    {
        var request = FunctionKit.Request(_services, "GET", "/webhooks/durabletask/instances/a%23b", user: FunctionKit.User("olivia", null, Roles.Operator));

        var (status, _) = await FunctionKit.ExecuteAsync(await ManagementFunctions.GetInstance(request, "a#b", _client.Object), request);

        Assert.Equal(400, status);
        _client.VerifyNoOtherCalls();
    }
}
