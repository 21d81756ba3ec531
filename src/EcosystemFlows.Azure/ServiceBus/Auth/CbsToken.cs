namespace EcosystemFlows.Azure.ServiceBus.Auth;

/// <summary>A token to put on the CBS node: its text, its CBS type, and when it expires.</summary>
/// <param name="Value">The token (a SAS token string, or a JWT).</param>
/// <param name="Type">The CBS token type: <see cref="SasTokenType"/> or <see cref="JwtTokenType"/>.</param>
/// <param name="ExpiresAt">When the broker stops honouring it; it is renewed before then.</param>
public sealed record CbsToken(string Value, string Type, DateTimeOffset ExpiresAt)
{
    /// <summary>CBS type of a shared access signature.</summary>
    public const string SasTokenType = "servicebus.windows.net:sastoken";

    /// <summary>CBS type of a Microsoft Entra (JWT) token.</summary>
    public const string JwtTokenType = "jwt";

    /// <summary>Never print the token itself.</summary>
    public override string ToString() => $"CbsToken {{ Type = {Type}, ExpiresAt = {ExpiresAt:O} }}";
}

/// <summary>
/// Supplies tokens for CBS put-token: <see cref="SharedAccessKeyTokenProvider"/> for a connection string
/// with a key, <see cref="MicrosoftEntraTokenProvider"/> (JWTs, managed identity) for a namespace without one.
/// </summary>
public interface ICbsTokenProvider
{
    /// <summary>A token valid for <paramref name="audience"/> (e.g. <c>amqps://ns.servicebus.windows.net/queue</c>).</summary>
    ValueTask<CbsToken> GetTokenAsync(string audience, CancellationToken cancellationToken);
}

/// <summary>SAS tokens signed with a namespace or entity shared access key.</summary>
public sealed class SharedAccessKeyTokenProvider(string keyName, string key, TimeSpan validity, TimeProvider timeProvider) : ICbsTokenProvider
{
    /// <inheritdoc />
    public ValueTask<CbsToken> GetTokenAsync(string audience, CancellationToken cancellationToken)
    {
        var expiresAt = timeProvider.GetUtcNow() + validity;
        return ValueTask.FromResult(new CbsToken(
            SharedAccessSignature.Create(audience, keyName, key, expiresAt), CbsToken.SasTokenType, expiresAt));
    }
}
