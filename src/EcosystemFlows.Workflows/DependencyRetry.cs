using Microsoft.DurableTask;

namespace EcosystemFlows.Workflows;

/// <summary>
/// The retry policy of every activity a workflow calls (Durable's <c>RetryOptions</c>): a dependency that is
/// briefly unreachable (Cosmos DB, Storage or Service Bus restarting, failing over, throttling) delays the step
/// with durable timers instead of failing a governance workflow, which could only be started over by hand.
/// Only such failures are retried: anything else is a defect or a domain refusal, and retrying would only hide it.
/// </summary>
public static class DependencyRetry
{
    /// <summary>
    /// Exception types that mean "the dependency could not answer now", by full name because only the type name
    /// travels in <see cref="TaskFailureDetails"/>. A Cosmos status the stores do not handle themselves (404, 409
    /// and 412 are) is a throttle, a timeout or an outage.
    /// </summary>
    private static readonly HashSet<string> TransientTypes = new(StringComparer.Ordinal)
    {
        "Microsoft.Azure.Cosmos.CosmosException",
        "Azure.RequestFailedException",
        "Azure.Messaging.ServiceBus.ServiceBusException",
        typeof(HttpRequestException).FullName!,
        typeof(System.Net.Sockets.SocketException).FullName!,
        typeof(IOException).FullName!,
        typeof(TimeoutException).FullName!,
        typeof(OperationCanceledException).FullName!,
        typeof(TaskCanceledException).FullName!,
    };

    /// <summary>
    /// Ten attempts, 1 s doubling to at most 30 s between them: about 2.5 minutes, longer than a service restart
    /// or a failover, short enough that a real outage still surfaces as a failed instance the operator sees.
    /// </summary>
    public static TaskOptions Options { get; } = TaskOptions.FromRetryPolicy(
        new RetryPolicy(maxNumberOfAttempts: 10, firstRetryInterval: TimeSpan.FromSeconds(1), backoffCoefficient: 2, maxRetryInterval: TimeSpan.FromSeconds(30))
        {
            HandleFailure = IsTransient,
        });

    /// <summary>True when the failure, or one it wraps, comes from a dependency that could not answer now.</summary>
    public static bool IsTransient(TaskFailureDetails failure)
    {
        for (var current = failure; current is not null; current = current.InnerFailure)
        {
            if (TransientTypes.Contains(current.ErrorType))
            {
                return true;
            }
        }

        return false;
    }
}
