using Azure.Core;
using Azure.Identity;

namespace EcosystemFlows.Azure.Configuration;

/// <summary>
/// The Entra ID credential for Azure data-plane calls when no key or connection string is configured.
/// In Azure it resolves to the user-assigned managed identity named by <c>AZURE_CLIENT_ID</c> (set by
/// infra); on a developer machine to the Azure CLI / developer login. Local emulators never use it.
/// </summary>
public static class AzureCredentials
{
    /// <summary>Creates the credential; token acquisition is lazy, so creating it costs nothing.</summary>
    public static TokenCredential Create() => new DefaultAzureCredential(new DefaultAzureCredentialOptions
    {
        ManagedIdentityClientId = Environment.GetEnvironmentVariable("AZURE_CLIENT_ID"),
        ExcludeInteractiveBrowserCredential = true,
    });
}
