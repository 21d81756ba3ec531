using System.Text.Json;
using EcosystemFlows.Domain.Tests;
using EcosystemFlows.Workflows.JointOffering;
using Microsoft.DurableTask;
using Moq;

namespace EcosystemFlows.LocalHost.Tests.Workflows;

/// <summary><c>offering-sheet.json</c> speaks the API's JSON contract.</summary>
public sealed class OfferingSheetTests
{
    [Fact]
    public async Task RunAsync_SupportPlan_IsItsThreeOwnersOnly()
    {
        // Arrange
        var ports = new InMemoryPorts();
        var activity = new WriteOfferingSheetActivity(ports);

        // Act
        await activity.RunAsync(Mock.Of<TaskActivityContext>(), new WriteOfferingSheetInput("off-1", Examples.Terms(), "SKU-1", new DateTime(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc)));

        // Assert
        using var sheet = JsonDocument.Parse(ports.Artifacts[$"off-1/{WriteOfferingSheetActivity.JsonName}"]);
        var plan = sheet.RootElement.GetProperty("terms").GetProperty("supportPlan");
        Assert.Equal(["l1Owner", "l2Owner", "l3Owner"], plan.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task RunAsync_Enums_AreStringsAsInTheApi()
    {
        // Arrange
        var ports = new InMemoryPorts();
        var activity = new WriteOfferingSheetActivity(ports);

        // Act
        await activity.RunAsync(Mock.Of<TaskActivityContext>(), new WriteOfferingSheetInput("off-1", Examples.Terms(), "SKU-1", new DateTime(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc)));

        // Assert
        using var sheet = JsonDocument.Parse(ports.Artifacts[$"off-1/{WriteOfferingSheetActivity.JsonName}"]);
        var terms = sheet.RootElement.GetProperty("terms");
        Assert.Equal(["Lead", "Contributor", "Channel"], terms.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("role").GetString()));
        Assert.Equal("Monthly", terms.GetProperty("pricing").GetProperty("billingTerm").GetString());
        Assert.Equal("Legal", terms.GetProperty("additionalGates")[0].GetProperty("kind").GetString());
    }
}
