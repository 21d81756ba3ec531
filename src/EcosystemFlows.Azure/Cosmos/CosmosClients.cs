using Azure.Core;
using Microsoft.Azure.Cosmos;

namespace EcosystemFlows.Azure.Cosmos;

/// <summary>Creates the process-wide <see cref="CosmosClient"/>.</summary>
public static class CosmosClients
{
    /// <summary>
    /// A client for <paramref name="options"/>: key auth when a key is set, else <paramref name="credential"/>;
    /// Gateway mode pinned to the endpoint for a local stand-in.
    /// </summary>
    public static CosmosClient Create(CosmosOptions options, TokenCredential credential)
    {
        ArgumentNullException.ThrowIfNull(options.AccountEndpoint);
        var clientOptions = new CosmosClientOptions
        {
            ApplicationName = "EcosystemFlows",
            RequestTimeout = options.RequestTimeout,
            MaxRetryAttemptsOnRateLimitedRequests = 9,
            MaxRetryWaitTimeOnRateLimitedRequests = TimeSpan.FromSeconds(30),
        };
        if (options.IsLocalEmulator)
        {
            clientOptions.ConnectionMode = ConnectionMode.Gateway;
            clientOptions.LimitToEndpoint = true;
        }

        return options.UsesIdentity
            ? new CosmosClient(options.AccountEndpoint.ToString(), credential, clientOptions)
            : new CosmosClient(options.AccountEndpoint.ToString(), options.AccountKey, clientOptions);
    }
}
