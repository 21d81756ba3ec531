using EcosystemFlows.Domain.Tests;
using EcosystemFlows.Workflows;
using EcosystemFlows.Workflows.JointOffering;
using EcosystemFlows.Workflows.Security;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Moq;

namespace EcosystemFlows.LocalHost.Tests.Workflows;

/// <summary>Command rules that need a client in a particular state, with a mocked <see cref="DurableTaskClient"/>.</summary>
public sealed class OfferingCommandsTests
{
    [Theory]
    [InlineData(OrchestrationRuntimeStatus.Pending, 1)]
    [InlineData(OrchestrationRuntimeStatus.Running, 0)]
    public async Task StartAsync_RepeatedForAnExistingInstance_StartsAgainOnlyWhilePending(OrchestrationRuntimeStatus status, int starts)
    {
        // Arrange: the first start stored the instance; a Pending one may have lost its start message.
        var ports = new InMemoryPorts();
        foreach (var partner in Examples.Partners().Values)
        {
            ports.Partners[partner.PartnerId] = partner;
        }

        var client = new Mock<DurableTaskClient>("test") { CallBase = true };
        client.Setup(c => c.GetInstancesAsync(It.IsAny<string>(), It.IsAny<bool>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((string id, bool _, CancellationToken _) => new OrchestrationMetadata(nameof(JointOfferingOrchestrator), id)
            {
                RuntimeStatus = status,
                SerializedInput = WorkflowJson.Converter.Serialize(new JointOfferingInput(id, "contoso", "alice", Examples.Terms(), TimeSpan.FromDays(30))),
                DataConverter = WorkflowJson.Converter,
            });
        client.Setup(c => c.ScheduleNewOrchestrationInstanceAsync(It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<StartOrchestrationOptions?>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new global::DurableTask.Core.Exceptions.OrchestrationAlreadyExistsException($"x is {status}"));
        var commands = new OfferingCommands(client.Object, ports, ports, TimeProvider.System);

        // Act
        var result = await commands.StartAsync(new Actor("alice", "contoso", [Roles.Partner]), "key-1", Examples.Terms(), 30, CancellationToken.None);

        // Assert: the same answer either way; only the Pending instance is started again (which re-sends its start).
        Assert.Equal(CommandResult.Done(OfferingCommands.OfferingIdFor("contoso", "key-1")), result);
        client.Verify(
            c => c.ScheduleNewOrchestrationInstanceAsync(It.Is<TaskName>(n => n.Name == nameof(JointOfferingOrchestrator)), It.IsAny<object?>(), It.IsAny<StartOrchestrationOptions?>(), It.IsAny<CancellationToken>()),
            Times.Exactly(starts));
    }

    [Fact]
    public async Task LoadForMemberAsync_LiveOffering_ShowsTheDecidedGatesOfTheTermsInForce()
    {
        // Arrange: a launched instance, continued as new; its custom status has no gates, its input the ones that signed.
        var terms = Examples.Terms();
        GateState[] signed =
        [
            new("member-contoso", Domain.Offerings.GateKind.MemberApproval, ["alice"], "Approved", "alice", new DateTime(2026, 12, 1, 9, 0, 0, DateTimeKind.Utc), "ok"),
            new("sponsor", Domain.Offerings.GateKind.ExecutiveSponsor, ["carol"], "Approved", "carol", new DateTime(2026, 12, 2, 9, 0, 0, DateTimeKind.Utc), null),
        ];
        const string id = "off-live";
        var client = new Mock<DurableTaskClient>("test") { CallBase = true };
        client.Setup(c => c.GetInstancesAsync(id, It.IsAny<bool>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(new OrchestrationMetadata(nameof(JointOfferingOrchestrator), id)
            {
                RuntimeStatus = OrchestrationRuntimeStatus.Running,
                SerializedInput = WorkflowJson.Converter.Serialize(new JointOfferingInput(id, "contoso", "alice", terms, TimeSpan.FromDays(10), new LiveOffering(terms, "SKU-1", 12, 0, signed))),
                SerializedCustomStatus = WorkflowJson.Converter.Serialize(new OfferingStatus(OfferingStage.Launched, terms.TermsHash, [], null, false, "SKU-1", id, null)),
                DataConverter = WorkflowJson.Converter,
            });
        var ports = new InMemoryPorts();
        var commands = new OfferingCommands(client.Object, ports, ports, TimeProvider.System);

        // Act
        var view = await commands.LoadForMemberAsync(new Actor("grace", "northwind", [Roles.Partner]), id, CancellationToken.None);

        // Assert
        Assert.Equal(OfferingStage.Launched, view!.Stage);
        Assert.Equal(
            signed.Select(g => (g.GateId, g.Kind, g.State, g.DecidedBy, g.DecidedAt, g.Comment, string.Join(",", g.Approvers))),
            view.Gates.Select(g => (g.GateId, g.Kind, g.State, g.DecidedBy, g.DecidedAt, g.Comment, string.Join(",", g.Approvers))));
    }
}
