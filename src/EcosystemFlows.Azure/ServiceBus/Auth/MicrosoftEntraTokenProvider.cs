using Azure.Core;

namespace EcosystemFlows.Azure.ServiceBus.Auth;

/// <summary>
/// Microsoft Entra ID tokens for CBS put-token (type <see cref="CbsToken.JwtTokenType"/>), from the app's
/// <see cref="TokenCredential"/> (the user-assigned managed identity in Azure). One token, scoped to
/// Service Bus as a whole, is put once per entity audience; the connection renews it before it expires.
/// The credential caches and refreshes the token itself, so asking for it per entity costs nothing.
/// </summary>
public sealed class MicrosoftEntraTokenProvider(TokenCredential credential) : ICbsTokenProvider
{
    /// <summary>The scope of a Service Bus data-plane token.</summary>
    public const string Scope = "https://servicebus.azure.net/.default";

    /// <inheritdoc />
    public async ValueTask<CbsToken> GetTokenAsync(string audience, CancellationToken cancellationToken)
    {
        var token = await credential.GetTokenAsync(new TokenRequestContext([Scope]), cancellationToken).ConfigureAwait(false);
        return new CbsToken(token.Token, CbsToken.JwtTokenType, token.ExpiresOn);
    }
}
