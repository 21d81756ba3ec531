using EcosystemFlows.Domain.Tests;
using EcosystemFlows.Domain.Validation;
using EcosystemFlows.Functions.Workflows;
using EcosystemFlows.Workflows.JointOffering;
using Microsoft.DurableTask;
using Moq;

namespace EcosystemFlows.Functions.Tests.Workflows;

/// <summary>
/// The orchestrator and activity wrappers run the shared classes: an orchestrator function with a mocked
/// <see cref="TaskOrchestrationContext"/> (as the Durable extension hands it over) takes the workflow's branches, and
/// an activity function runs its activity with the invocation's services.
/// </summary>
public sealed class JointOfferingFunctionsTests
{
    [Fact]
    public async Task RunJointOfferingOrchestrator_TermsTheValidationRefuses_EndsInvalidWithTheReasonAndRecordsIt()
    {
        // Arrange: the extension's context holds the input; validation finds an error.
        var input = new JointOfferingInput("off-1", "contoso", "alice", Examples.Terms(), TimeSpan.FromDays(14));
        var context = new Mock<TaskOrchestrationContext> { CallBase = true };
        context.SetupGet(c => c.InstanceId).Returns("off-1");
        context.Setup(c => c.GetInput<JointOfferingInput>()).Returns(input);
        context.Setup(c => c.CallActivityAsync<ValidationOutcome>(It.Is<TaskName>(n => n.Name == nameof(ValidateOfferingActivity)), It.IsAny<object?>(), It.IsAny<TaskOptions?>()))
            .ReturnsAsync(new ValidationOutcome([new DomainError("members", "lead", "needs a lead")], [], null, ""));
        var recorded = new List<TransitionInput>();
        context.Setup(c => c.CallActivityAsync<object>(It.Is<TaskName>(n => n.Name == nameof(RecordTransitionActivity)), It.IsAny<object?>(), It.IsAny<TaskOptions?>()))
            .Callback((TaskName _, object? transition, TaskOptions? _) => recorded.Add((TransitionInput)transition!))
            .ReturnsAsync(true);

        // Act
        var result = await JointOfferingFunctions.RunJointOfferingOrchestrator(context.Object);

        // Assert: ended Invalid without verifying partners; submission and rejection are in the audit trail, each under
        // an id naming its cause (an id by place could name another transition after a crash, #17).
        Assert.Equal(OfferingStage.Invalid, result.Stage);
        Assert.Equal("members: needs a lead", result.Reason);
        Assert.Equal(["offering.submitted", "offering.rejected"], recorded.Select(t => t.EventType));
        Assert.Equal(["off-1-submitted", "off-1-ended"], recorded.Select(t => t.EventId));
        context.Verify(c => c.CallActivityAsync<MemberVerification>(It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<TaskOptions?>()), Times.Never);
    }

    [Fact]
    public async Task RunCreateSkuActivity_RunsTheActivityWithTheInvocationsServices()
    {
        var ports = FunctionKit.Ports();
        using var services = FunctionKit.Services(ports);
        var invocation = FunctionKit.Invocation(services, $"{typeof(JointOfferingFunctions).FullName}.{nameof(JointOfferingFunctions.RunCreateSkuActivity)}", request: null);

        var sku = await JointOfferingFunctions.RunCreateSkuActivity(new CreateSkuInput("off-1", "fabrikam-eu", "Security services"), "off-1", invocation.Object);

        Assert.False(string.IsNullOrEmpty(sku));
        Assert.Equal(sku, await JointOfferingFunctions.RunCreateSkuActivity(new CreateSkuInput("off-1", "fabrikam-eu", "Security services"), "off-1", invocation.Object));
    }
}
