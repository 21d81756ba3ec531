using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EcosystemFlows.Azure.Health;

/// <summary>
/// A readiness check that probes one external dependency and reports, in one line, which one is down
/// and why, so <c>/readyz</c> tells an operator where to look.
/// </summary>
public abstract class DependencyReadinessCheck(string service, string endpoint) : IHealthCheck
{
    /// <summary>One cheap round trip to the dependency; throws when it is not usable.</summary>
    protected abstract Task ProbeAsync(CancellationToken cancellationToken);

    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await ProbeAsync(cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy($"{service} reachable at {endpoint}");
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // Any failure of the probe means "not ready"; the innermost cause's type and first line are
            // enough to act on (the SDKs wrap retried failures in an AggregateException of repeats).
            var cause = ex is AggregateException { InnerExceptions.Count: > 0 } aggregate ? aggregate.InnerExceptions[^1] : ex;
            var reason = cause.Message.Split('\n', 2)[0].Trim();
            return HealthCheckResult.Unhealthy($"{service} at {endpoint} unreachable: {cause.GetType().Name}: {reason}");
        }
    }
}
