using EcosystemFlows.LocalHost.Hosting;
using Microsoft.Extensions.Configuration;

namespace EcosystemFlows.LocalHost.Tests.Hosting;

public sealed class LocalSettingsConfigurationSourceTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("ecoflows-settings-");

    public void Dispose() => _root.Delete(recursive: true);

    [Fact]
    public void Load_ValuesWithDoubleUnderscore_MapToSections()
    {
        var path = Write("""
            {
              "IsEncrypted": false,
              // Core Tools tolerates comments and trailing commas; so do we.
              "Values": { "Cosmos__DatabaseName": "db1", "Plain": "x", "Number": 5, },
            }
            """);

        var configuration = new ConfigurationBuilder().Add(new LocalSettingsConfigurationSource(path)).Build();

        Assert.Equal("db1", configuration["Cosmos:DatabaseName"]);
        Assert.Equal("x", configuration["Plain"]);
        Assert.Equal("5", configuration["Number"]);
    }

    [Fact]
    public void Load_MalformedJson_FailsNamingTheFile()
    {
        var path = Write("{ \"Values\": { \"a\": ");

        var ex = Assert.Throws<InvalidOperationException>(() =>
            new ConfigurationBuilder().Add(new LocalSettingsConfigurationSource(path)).Build());

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("not valid JSON", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_NoValuesObject_FailsExplainingTheShape()
    {
        var path = Write("{ \"Cosmos__DatabaseName\": \"db1\" }");

        var ex = Assert.Throws<InvalidOperationException>(() =>
            new ConfigurationBuilder().Add(new LocalSettingsConfigurationSource(path)).Build());

        Assert.Contains("\"Values\"", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Find_FileInAncestor_ReturnsNearest()
    {
        var path = Write("{ \"Values\": {} }");
        var nested = _root.CreateSubdirectory("src/app/bin");

        Assert.Equal(path, LocalSettingsConfigurationSource.Find(nested.FullName));
    }

    private string Write(string json)
    {
        var path = Path.Combine(_root.FullName, LocalSettingsConfigurationSource.FileName);
        File.WriteAllText(path, json);
        return path;
    }
}
