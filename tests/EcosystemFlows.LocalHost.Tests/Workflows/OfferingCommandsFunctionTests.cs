using System.Text;
using System.Text.Json;
using EcosystemFlows.Azure.ServiceBus;
using EcosystemFlows.Domain.Tests;
using EcosystemFlows.LocalHost.Tests.Hosting;
using EcosystemFlows.Workflows.JointOffering;
using EcosystemFlows.Workflows.Security;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace EcosystemFlows.LocalHost.Tests.Workflows;

/// <summary>The offering-commands trigger: same rules as HTTP; refusals and bad messages dead-lettered with a reason.</summary>
public sealed class OfferingCommandsFunctionTests : IAsyncLifetime
{
    private readonly AppFactory _app = new();

    public Task InitializeAsync()
    {
        foreach (var partner in Examples.Partners().Values)
        {
            _app.Ports.Partners[partner.PartnerId] = partner;
        }

        _ = _app.Server;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Start_ValidCommand_StartsTheOfferingIdempotently()
    {
        var command = Start("crm-42");

        await HandleAsync(command);
        await HandleAsync(command);

        var id = OfferingCommands.OfferingIdFor("contoso", "crm-42");
        var client = _app.Services.GetRequiredService<DurableTaskClient>();
        Assert.NotNull(await client.GetInstanceAsync(id));
        var instances = new List<OrchestrationMetadata>();
        await foreach (var instance in client.GetAllInstancesAsync(new OrchestrationQuery { InstanceIdPrefix = id }))
        {
            instances.Add(instance);
        }

        Assert.Single(instances);
    }

    [Fact]
    public async Task Start_InvalidTerms_DeadLettersWithTheFieldErrors()
    {
        var command = Start("crm-43") with { Terms = Examples.Terms() with { Pricing = Examples.Terms().Pricing with { Currency = "EURO" } } };

        var ex = await Assert.ThrowsAsync<DeadLetterMessageException>(() => HandleAsync(command));

        Assert.Equal("StartJointOfferingRefused", ex.Reason);
        Assert.Contains("pricing.currency", ex.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_ActorWithoutPartnerRole_DeadLettersAsForbidden()
    {
        var command = Start("crm-44") with { Actor = new CommandActor("bot", "contoso", [Roles.Integration]) };

        var ex = await Assert.ThrowsAsync<DeadLetterMessageException>(() => HandleAsync(command));

        Assert.Contains("403", ex.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignOff_MissingFields_DeadLettersAsValidationFailed()
    {
        var command = new OfferingCommandMessage { Command = OfferingCommandType.RecordSignOff, Actor = new CommandActor("alice", "contoso", [Roles.Approver]), OfferingId = "off-1" };

        var ex = await Assert.ThrowsAsync<DeadLetterMessageException>(() => HandleAsync(command));

        Assert.Equal(DeadLetterMessageException.Reasons.ValidationFailed, ex.Reason);
        Assert.Contains("gateId", ex.Description, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{ not json")]
    [InlineData("{\"command\":\"Explode\",\"actor\":{\"userId\":\"a\",\"roles\":[]}}")]
    [InlineData("null")]
    public async Task Handle_MalformedBody_DeadLettersAtOnce(string body)
    {
        var ex = await Assert.ThrowsAsync<DeadLetterMessageException>(() => HandleAsync(Encoding.UTF8.GetBytes(body)));

        Assert.Equal(DeadLetterMessageException.Reasons.DeserializationFailed, ex.Reason);
    }

    private static OfferingCommandMessage Start(string key) => new()
    {
        Command = OfferingCommandType.StartJointOffering,
        Actor = new CommandActor("alice", "contoso", [Roles.Partner]),
        IdempotencyKey = key,
        Terms = Examples.Terms(),
        SignOffWindowDays = 10,
    };

    private Task HandleAsync(OfferingCommandMessage command) =>
        HandleAsync(JsonSerializer.SerializeToUtf8Bytes(command, CommandJsonContext.Default.OfferingCommandMessage));

    private async Task HandleAsync(byte[] body)
    {
        using var scope = _app.Services.CreateScope();
        var function = ActivatorUtilities.CreateInstance<OfferingCommandsFunction>(scope.ServiceProvider);
        await function.HandleAsync(new ServiceBusReceivedMessage { Body = body, Entity = ServiceBusEntity.Queue(OfferingCommandsFunction.QueueName) }, CancellationToken.None);
    }
}
