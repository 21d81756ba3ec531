using EcosystemFlows.Azure.ServiceBus.Auth;

namespace EcosystemFlows.Azure.Tests.ServiceBus;

public sealed class SharedAccessSignatureTests
{
    // Worked example computed independently of the code under test, in a shell:
    //   ENC=$(python3 -c "import urllib.parse,sys;print(urllib.parse.quote_plus(sys.argv[1]))" "$R")
    //   printf '%s\n%s' "$ENC" 1700000000 | openssl dgst -sha256 -hmac 'k3y+Secret/Value=' -binary | base64
    // with R=amqps://contoso.servicebus.windows.net/offering-commands.
    private const string Resource = "amqps://contoso.servicebus.windows.net/offering-commands";
    private const string Key = "k3y+Secret/Value=";
    private static readonly DateTimeOffset Expiry = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

    [Fact]
    public void Create_WorkedExample_MatchesIndependentlyComputedToken()
    {
        var token = SharedAccessSignature.Create(Resource, "RootManageSharedAccessKey", Key, Expiry);

        Assert.Equal(
            "SharedAccessSignature sr=amqps%3A%2F%2Fcontoso.servicebus.windows.net%2Foffering-commands" +
            "&sig=8vHwAlZrn9L3CMwHqu6sX92se8PtOFOVAqvnjYIcK1c%3D&se=1700000000&skn=RootManageSharedAccessKey",
            token);
    }

    [Fact]
    public void Create_DifferentExpiry_ChangesOnlySignatureAndExpiry()
    {
        var later = SharedAccessSignature.Create(Resource, "RootManageSharedAccessKey", Key, Expiry.AddSeconds(1));

        Assert.Contains("&se=1700000001&", later, StringComparison.Ordinal);
        Assert.DoesNotContain("8vHwAlZrn9L3CMwHqu6sX92se8PtOFOVAqvnjYIcK1c", later, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetTokenAsync_SharedAccessKey_ExpiresAfterValidityFromNow()
    {
        var provider = new SharedAccessKeyTokenProvider("send", Key, TimeSpan.FromHours(1), new FixedTime(Expiry.AddHours(-1)));

        var token = await provider.GetTokenAsync(Resource, CancellationToken.None);

        Assert.Equal(CbsToken.SasTokenType, token.Type);
        Assert.Equal(Expiry, token.ExpiresAt);
        Assert.Equal(SharedAccessSignature.Create(Resource, "send", Key, Expiry), token.Value);
        Assert.DoesNotContain("sig=", token.ToString(), StringComparison.Ordinal);
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
