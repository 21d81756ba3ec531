using EcosystemFlows.Azure.ServiceBus;

namespace EcosystemFlows.Azure.Tests.ServiceBus;

public sealed class ServiceBusConnectionStringTests
{
    [Fact]
    public void Parse_AzureNamespace_UsesTlsOn5671()
    {
        var parsed = ServiceBusConnectionString.Parse(
            "Endpoint=sb://contoso.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=abc+def/ghi=");

        Assert.Equal("contoso.servicebus.windows.net", parsed.Host);
        Assert.True(parsed.UseTls);
        Assert.Equal(5671, parsed.Port);
        Assert.Equal("RootManageSharedAccessKey", parsed.SharedAccessKeyName);
        Assert.Equal("abc+def/ghi=", parsed.SharedAccessKey);
        Assert.False(parsed.UseDevelopmentEmulator);
    }

    [Fact]
    public void Parse_DevelopmentEmulator_UsesPlainAmqpAndExplicitPort()
    {
        var parsed = ServiceBusConnectionString.Parse(
            "Endpoint=amqp://127.0.0.1:5673/;SharedAccessKeyName=user;SharedAccessKey=pw;UseDevelopmentEmulator=true;EntityPath=offering-commands");

        Assert.False(parsed.UseTls);
        Assert.Equal(5673, parsed.Port);
        Assert.Equal("offering-commands", parsed.EntityPath);
    }

    [Fact]
    public void Parse_ExplicitAmqpEndpointWithoutEmulator_PlainAmqpOn5672()
    {
        var parsed = ServiceBusConnectionString.Parse("Endpoint=amqp://127.0.0.1/;SharedAccessKeyName=k;SharedAccessKey=v");

        Assert.False(parsed.UseTls);
        Assert.False(parsed.UseDevelopmentEmulator);
        Assert.Equal(5672, parsed.Port);
    }

    [Fact]
    public void Parse_DevelopmentEmulatorWithoutPort_Defaults5672()
    {
        var parsed = ServiceBusConnectionString.Parse("Endpoint=sb://localhost;SharedAccessKeyName=u;SharedAccessKey=p;UseDevelopmentEmulator=true");

        Assert.Equal(5672, parsed.Port);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("SharedAccessKeyName=a;SharedAccessKey=b", "Endpoint")]
    [InlineData("Endpoint=http://x/;SharedAccessKeyName=a;SharedAccessKey=b", "Endpoint")]
    [InlineData("Endpoint=sb://x/;SharedAccessKeyName=a", "together")]
    [InlineData("Endpoint=sb://x/;garbage", "Key=Value")]
    [InlineData("Endpoint=amqp://127.0.0.1/;UseDevelopmentEmulator=true", "user name and password")]
    public void TryParse_Malformed_ExplainsWhy(string value, string expectedFragment)
    {
        var ok = ServiceBusConnectionString.TryParse(value, out var parsed, out var error);

        Assert.False(ok);
        Assert.Null(parsed);
        Assert.Contains(expectedFragment, error, StringComparison.Ordinal);
    }

    [Fact]
    public void ToString_NeverContainsTheKey()
    {
        var parsed = ServiceBusConnectionString.Parse("Endpoint=sb://x/;SharedAccessKeyName=k;SharedAccessKey=s3cr3t-value");

        Assert.DoesNotContain("s3cr3t-value", parsed.ToString(), StringComparison.Ordinal);
    }
}
