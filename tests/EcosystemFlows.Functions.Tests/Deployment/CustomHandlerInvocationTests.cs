using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EcosystemFlows.Azure.ServiceBus;
using EcosystemFlows.Azure.ServiceBus.Triggers;
using EcosystemFlows.Functions.Hosting.CustomHandler;
using EcosystemFlows.Functions.Tests.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EcosystemFlows.Functions.Tests.Deployment;

/// <summary>
/// The custom-handler contract, from the payload shapes the Azure Functions documentation gives: the host
/// POSTs <c>{ "Data": {…}, "Metadata": {…} }</c> to <c>/{functionName}</c> and reads
/// <c>{ "Outputs", "Logs", "ReturnValue" }</c> from a 200; any other status fails the invocation.
/// </summary>
public sealed class CustomHandlerInvocationTests : IAsyncLifetime
{
    private readonly ConcurrentQueue<ServiceBusReceivedMessage> _received = new();
    private readonly WebApplicationFactory<Program> _app;
    private readonly AppFactory _standalone;

    public CustomHandlerInvocationTests()
    {
        _standalone = new AppFactory(replaceServices: services =>
        {
            services.AddSingleton(_received);
            services.AddServiceBusTrigger<ProbeFunction>();
        });
        _app = _standalone.WithWebHostBuilder(builder => builder.UseSetting("FUNCTIONS_CUSTOMHANDLER_PORT", "7777"));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _standalone.DisposeAsync();
    }

    [Fact]
    public async Task Invoke_DocumentedServiceBusPayload_HandsTheMessageToTheHandlerAndAnswersTheResponseShape()
    {
        var payload = Payload("""{"command":"ok"}""", new JsonObject
        {
            ["MessageId"] = "m-1",
            ["DeliveryCount"] = 2,
            ["ContentType"] = "application/json",
            ["CorrelationId"] = "c-1",
            ["Subject"] = "offering-1",
            ["EnqueuedTimeUtc"] = "2026-11-23T10:00:00Z",
            ["ExpiresAtUtc"] = "2026-11-24T10:00:00Z",
            ["ApplicationProperties"] = new JsonObject { ["tenant"] = "contoso", ["priority"] = 3, ["urgent"] = true },
            ["sys"] = new JsonObject { ["MethodName"] = "Probe", ["UtcNow"] = "2026-11-23T10:00:01Z", ["RandGuid"] = "24ad4c06-24ad-4e5b-8294-3da9714877e9" },
        });

        var response = await _app.CreateClient().PostAsync(new Uri("/Probe", UriKind.Relative), payload);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        Assert.Equal(["Outputs", "Logs", "ReturnValue"], body.Select(p => p.Key));
        Assert.Empty(body["Outputs"]!.AsObject());
        Assert.Contains("m-1", Assert.Single(body["Logs"]!.AsArray())!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Null(body["ReturnValue"]);
        var message = Assert.Single(_received);
        Assert.Equal("""{"command":"ok"}""", Encoding.UTF8.GetString(message.Body.Span));
        Assert.Equal(ServiceBusEntity.Queue("probe-commands"), message.Entity);
        Assert.Equal(("m-1", 2, "application/json", "c-1", "offering-1"), (message.MessageId, message.DeliveryCount, message.ContentType, message.CorrelationId, message.Subject));
        Assert.Equal(TimeSpan.FromDays(1), message.TimeToLive);
        Assert.Equal("contoso", message.ApplicationProperties["tenant"]);
        Assert.Equal(3L, message.ApplicationProperties["priority"]);
        Assert.Equal(true, message.ApplicationProperties["urgent"]);
    }

    [Fact]
    public async Task Invoke_MetadataAsTheHostSerializesIt_ReadsQuotedScalarsAndUserProperties()
    {
        // The host runs every metadata value through Json.NET first: strings arrive quoted, numbers as strings;
        // extension v4 names the application properties UserProperties.
        var payload = Payload("{}", new JsonObject
        {
            ["MessageId"] = "\"m-2\"",
            ["DeliveryCount"] = "3",
            ["UserProperties"] = new JsonObject { ["traceparent"] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" },
        });

        var response = await _app.CreateClient().PostAsync(new Uri("/probe", UriKind.Relative), payload);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var message = Assert.Single(_received);
        Assert.Equal(("m-2", 3), (message.MessageId, message.DeliveryCount));
        Assert.Equal("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", message.ApplicationProperties["traceparent"]);
    }

    [Theory]
    [InlineData("dead-letter", "Message refused", "ValidationFailed")]
    [InlineData("transient", "Handler failed", null)]
    public async Task Invoke_HandlerFails_AnswersAFailureStatusSoTheHostFailsTheInvocation(string body, string title, string? reason)
    {
        var response = await _app.CreateClient().PostAsync(
            new Uri("/Probe", UriKind.Relative), Payload(body, new JsonObject { ["MessageId"] = "m-3", ["DeliveryCount"] = 1 }));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(title, problem["title"]!.GetValue<string>());
        Assert.Equal(reason, problem["reason"]?.GetValue<string>());
        Assert.Equal("m-3", problem["messageId"]!.GetValue<string>());
    }

    [Fact]
    public async Task Invoke_RealOfferingCommandsFunctionWithAnInvalidCommand_IsRefusedWithTheHandlersReason()
    {
        var response = await _app.CreateClient().PostAsync(
            new Uri("/OfferingCommands", UriKind.Relative), Payload("""{"command":"StartJointOffering"}""", new JsonObject { ["MessageId"] = "m-4" }));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("DeserializationFailed", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task Invoke_UnknownFunction_Answers404NamingTheKnownFunctions()
    {
        var response = await _app.CreateClient().PostAsync(new Uri("/NoSuchFunction", UriKind.Relative), Payload("{}", []));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var detail = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["detail"]!.GetValue<string>();
        Assert.Contains("'NoSuchFunction'", detail, StringComparison.Ordinal);
        Assert.Contains("OfferingCommands", detail, StringComparison.Ordinal);
        Assert.Empty(_received);
    }

    [Theory]
    [InlineData("not json", "is not a custom-handler request")]
    [InlineData("""{"Data":{},"Metadata":{}}""", "Data.message (the trigger binding) is missing")]
    [InlineData("""{"Data":{"message":"%%% not base64"},"Metadata":{}}""", "Data.message is not base64")]
    [InlineData("""{"Data":{"message":{"a":1}},"Metadata":{}}""", "must be a base64 string")]
    [InlineData("""{"Data":{"message":"e30="},"Metadata":{"DeliveryCount":"many"}}""", "Metadata.DeliveryCount must be an integer")]
    public async Task Invoke_MalformedPayload_Answers400NamingTheProblem(string body, string expected)
    {
        var response = await _app.CreateClient().PostAsync(new Uri("/Probe", UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(expected, JsonNode.Parse(await response.Content.ReadAsStringAsync())!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(_received);
    }

    [Fact]
    public async Task Invoke_StandaloneMode_HasNoInvocationEndpoint()
    {
        var response = await _standalone.CreateClient().PostAsync(new Uri("/Probe", UriKind.Relative), Payload("{}", []));

        // No endpoint: the deny-by-default policy answers, and nothing reaches the handler.
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Empty(_received);
        Assert.DoesNotContain(
            _standalone.Services.GetRequiredService<EndpointDataSource>().Endpoints,
            e => e.Metadata.GetMetadata<FunctionsHostInvocationMetadata>() is not null);
    }

    [Fact]
    public void AddCustomHandlerInvocations_ServiceBusTriggers_KeepsTheInProcessProcessorAndTheRegistrations()
    {
        var services = new ServiceCollection();
        services.AddServiceBusTrigger<ProbeFunction>();
        Assert.Contains(services, d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(ServiceBusTriggerHost));

        services.AddCustomHandlerInvocations();

        Assert.Contains(services, d => d.ImplementationType == typeof(ServiceBusTriggerHost));
        Assert.Contains(services, d => d.ImplementationInstance is ServiceBusTriggerRegistration { HandlerType: var type } && type == typeof(ProbeFunction));
    }

    [Fact]
    public void DecodeQueue_DocumentedQueueTriggerPayload_ReadsBodyAndMetadata()
    {
        // The documented queue-trigger request, with the body as base64 (the bindings declare dataType binary).
        var request = JsonSerializer.Deserialize("""
            {
              "Data": { "message": "eyBtZXNzYWdlOiAiTWVzc2FnZSBzZW50IiB9" },
              "Metadata": {
                "DequeueCount": 1,
                "ExpirationTime": "2019-10-16T17:58:31+00:00",
                "Id": "800ae4b3-bdd2-4c08-badd-f08e5a34b865",
                "InsertionTime": "2019-10-09T17:58:31+00:00",
                "NextVisibleTime": "2019-10-09T18:08:32+00:00",
                "PopReceipt": "AgAAAAMAAAAAAAAAAgtnj8x+1QE=",
                "sys": { "MethodName": "QueueTrigger", "UtcNow": "2019-10-09T17:58:32.2205399Z", "RandGuid": "24ad4c06-24ad-4e5b-8294-3da9714877e9" }
              }
            }
            """, InvocationJsonContext.Default.InvocationRequest)!;

        var message = TriggerPayloads.DecodeQueue(request, "message");

        Assert.Equal("{ message: \"Message sent\" }", Encoding.UTF8.GetString(message.Body.Span));
        Assert.Equal("800ae4b3-bdd2-4c08-badd-f08e5a34b865", message.Id);
        Assert.Equal(1, message.DequeueCount);
        Assert.Equal(new DateTimeOffset(2019, 10, 9, 17, 58, 31, TimeSpan.Zero), message.InsertionTime);
        Assert.Equal(new DateTimeOffset(2019, 10, 16, 17, 58, 31, TimeSpan.Zero), message.ExpirationTime);
        Assert.Equal(new DateTimeOffset(2019, 10, 9, 18, 8, 32, TimeSpan.Zero), message.NextVisibleTime);
        Assert.Equal("AgAAAAMAAAAAAAAAAgtnj8x+1QE=", message.PopReceipt);
    }

    [Fact]
    public void DecodeQueue_NoMessageId_IsAnInvalidInvocation()
    {
        var request = JsonSerializer.Deserialize("""{ "Data": { "message": "e30=" }, "Metadata": { "DequeueCount": 1 } }""", InvocationJsonContext.Default.InvocationRequest)!;

        var error = Assert.Throws<InvalidInvocationException>(() => TriggerPayloads.DecodeQueue(request, "message"));

        Assert.Contains("Metadata.Id", error.Message, StringComparison.Ordinal);
    }

    private static StringContent Payload(string body, JsonObject metadata) => new(
        new JsonObject { ["Data"] = new JsonObject { ["message"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(body)) }, ["Metadata"] = metadata }.ToJsonString(),
        Encoding.UTF8,
        "application/json");

    /// <summary>Records what it receives; a body of <c>dead-letter</c> or <c>transient</c> fails the way a real handler would.</summary>
    [ServiceBusTrigger("probe-commands")]
    private sealed class ProbeFunction(ConcurrentQueue<ServiceBusReceivedMessage> received) : IServiceBusHandler
    {
        public Task HandleAsync(ServiceBusReceivedMessage message, CancellationToken cancellationToken)
        {
            received.Enqueue(message);
            return Encoding.UTF8.GetString(message.Body.Span) switch
            {
                "dead-letter" => throw new DeadLetterMessageException(DeadLetterMessageException.Reasons.ValidationFailed, "offeringId: is required"),
                "transient" => throw new TimeoutException("Cosmos DB timed out"),
                _ => Task.CompletedTask,
            };
        }
    }
}
