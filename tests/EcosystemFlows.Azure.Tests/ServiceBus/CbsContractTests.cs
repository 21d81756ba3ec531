using Amqp;
using Amqp.Framing;
using EcosystemFlows.Azure.ServiceBus.Auth;

namespace EcosystemFlows.Azure.Tests.ServiceBus;

/// <summary>The CBS put-token exchange as Service Bus expects it on the wire.</summary>
public sealed class CbsContractTests
{
    private static readonly DateTimeOffset Expiry = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

    [Fact]
    public void CreatePutTokenRequest_SasToken_HasCbsShapeOnTheWire()
    {
        var token = new CbsToken("SharedAccessSignature sr=x&sig=y&se=1700000000&skn=k", CbsToken.SasTokenType, Expiry);
        var request = CbsClient.CreatePutTokenRequest("amqps://contoso.servicebus.windows.net/offering-commands", token, "req-1", "cbs-reply");

        // Encode and decode: what the broker receives, not just what the object holds.
        var wire = Message.Decode(request.Encode());

        Assert.Equal("req-1", wire.Properties.MessageId);
        Assert.Equal("cbs-reply", wire.Properties.ReplyTo);
        Assert.Equal("put-token", wire.ApplicationProperties["operation"]);
        Assert.Equal("servicebus.windows.net:sastoken", wire.ApplicationProperties["type"]);
        Assert.Equal("amqps://contoso.servicebus.windows.net/offering-commands", wire.ApplicationProperties["name"]);
        Assert.Equal(Expiry.UtcDateTime, wire.ApplicationProperties["expiration"]);
        Assert.Equal(token.Value, Assert.IsType<AmqpValue>(wire.BodySection).Value);
        Assert.Equal("$cbs", CbsClient.NodeAddress);
    }

    [Fact]
    public void CreatePutTokenRequest_EntraToken_UsesJwtType()
    {
        var request = CbsClient.CreatePutTokenRequest("amqps://ns/q", new CbsToken("eyJ0eXAi", CbsToken.JwtTokenType, Expiry), "id", "reply");

        Assert.Equal("jwt", request.ApplicationProperties["type"]);
    }

    [Theory]
    [InlineData(200)]
    [InlineData(202)]
    public void EnsureSuccess_Accepted_DoesNotThrow(int status)
    {
        CbsClient.EnsureSuccess(Response(status, "OK"), "amqps://ns/q");
    }

    [Fact]
    public void EnsureSuccess_Unauthorized_ThrowsWithStatusDescription()
    {
        var error = Assert.Throws<UnauthorizedAccessException>(() => CbsClient.EnsureSuccess(Response(401, "InvalidSignature: expired"), "amqps://ns/q"));

        Assert.Contains("401", error.Message, StringComparison.Ordinal);
        Assert.Contains("InvalidSignature", error.Message, StringComparison.Ordinal);
    }

    private static Message Response(int status, string description) => new()
    {
        Properties = new Properties { CorrelationId = "req-1" },
        ApplicationProperties = new ApplicationProperties { ["status-code"] = status, ["status-description"] = description },
    };
}
