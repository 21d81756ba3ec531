namespace EcosystemFlows.Durable;

/// <summary>Options for scheduling an activity or sub-orchestration (retry policy).</summary>
public record TaskOptions
{
    /// <summary>Creates options with an optional retry policy.</summary>
    public TaskOptions(RetryPolicy? retry = null)
    {
        Retry = retry;
    }

    /// <summary>Retry policy applied by the orchestration with durable timers between attempts.</summary>
    public RetryPolicy? Retry { get; init; }

    /// <summary>Creates options from a retry policy.</summary>
    public static TaskOptions FromRetryPolicy(RetryPolicy policy) => new(policy);
}

/// <summary>Options for a sub-orchestration: retry policy, instance id and version.</summary>
public sealed record SubOrchestrationOptions : TaskOptions
{
    /// <summary>Creates options; a null <paramref name="instanceId"/> gets a deterministic new id.</summary>
    public SubOrchestrationOptions(string? instanceId = null, RetryPolicy? retry = null)
        : base(retry)
    {
        InstanceId = instanceId;
    }

    /// <summary>Instance id of the sub-orchestration; defaults to a replay-safe <c>NewGuid()</c>.</summary>
    public string? InstanceId { get; init; }

    /// <summary>Version recorded for the sub-orchestration; defaults to the configured default version.</summary>
    public string? Version { get; init; }
}

/// <summary>
/// Retry with exponential backoff: the delay before attempt n+1 is
/// <c>min(FirstRetryInterval * BackoffCoefficient^(n-1), MaxRetryInterval)</c>. Retries stop after
/// <see cref="MaxNumberOfAttempts"/> attempts, when the next attempt would start after
/// <see cref="RetryTimeout"/> measured from the first attempt, or when <see cref="HandleFailure"/> returns false.
/// </summary>
public sealed record RetryPolicy
{
    /// <summary>Creates a retry policy.</summary>
    public RetryPolicy(int maxNumberOfAttempts, TimeSpan firstRetryInterval, double backoffCoefficient = 1.0, TimeSpan? maxRetryInterval = null, TimeSpan? retryTimeout = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxNumberOfAttempts, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(firstRetryInterval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(backoffCoefficient, 1.0);
        MaxNumberOfAttempts = maxNumberOfAttempts;
        FirstRetryInterval = firstRetryInterval;
        BackoffCoefficient = backoffCoefficient;
        MaxRetryInterval = maxRetryInterval ?? TimeSpan.FromHours(1);
        RetryTimeout = retryTimeout ?? Timeout.InfiniteTimeSpan;
    }

    /// <summary>Maximum number of attempts, the first included.</summary>
    public int MaxNumberOfAttempts { get; }

    /// <summary>Delay before the first retry.</summary>
    public TimeSpan FirstRetryInterval { get; }

    /// <summary>Multiplier applied to the delay after each retry.</summary>
    public double BackoffCoefficient { get; }

    /// <summary>Upper bound of a single delay (default one hour).</summary>
    public TimeSpan MaxRetryInterval { get; }

    /// <summary>Overall time budget for retries from the first attempt (default infinite).</summary>
    public TimeSpan RetryTimeout { get; }

    /// <summary>Decides whether a failure is retried; defaults to retrying every failure.</summary>
    public Func<TaskFailureDetails, bool>? HandleFailure { get; init; }

    /// <summary>The delay before the attempt following attempt <paramref name="attempt"/> (1-based).</summary>
    public TimeSpan GetDelay(int attempt)
    {
        var ticks = FirstRetryInterval.Ticks * Math.Pow(BackoffCoefficient, attempt - 1);
        return ticks >= MaxRetryInterval.Ticks ? MaxRetryInterval : TimeSpan.FromTicks((long)ticks);
    }
}
