using System.Text.Json.Nodes;
using EcosystemFlows.Tests.Shared;

namespace EcosystemFlows.LocalHost.Tests.Security;

/// <summary>Running the tests must not change a committed result (bench/results/faults.json).</summary>
public sealed class FaultsReportTests
{
    [Fact]
    public void WriteSecurity_CasualRun_WritesUnderLocalAndLeavesTheCommittedResultAlone()
    {
        // Arrange
        if (Environment.GetEnvironmentVariable(FaultsReport.RecordVariable) == "1")
        {
            return; // a run recorded on purpose writes the committed file: nothing to check here
        }

        var committed = Path.Combine(FaultsReport.RepositoryRoot(), "bench", "results", "faults.json");
        var before = File.ReadAllBytes(committed);

        // Act
        FaultsReport.WriteSecurity("faults_report_probe", new JsonObject { ["probe"] = true });

        // Assert
        Assert.Equal(before, File.ReadAllBytes(committed));
        var local = FaultsReport.ResultsPath();
        Assert.NotEqual(Path.GetFullPath(committed), Path.GetFullPath(local));
        Assert.True(JsonNode.Parse(File.ReadAllText(local))!["security"]!["faults_report_probe"]!["probe"]!.GetValue<bool>());
    }
}
