namespace EcosystemFlows.Durable;

/// <summary>Status of an orchestration instance as seen by clients (mirrors Durable Task's <c>OrchestrationMetadata</c>).</summary>
public sealed record OrchestrationMetadata
{
    /// <summary>Orchestrator name.</summary>
    public required string Name { get; init; }

    /// <summary>Instance id.</summary>
    public required string InstanceId { get; init; }

    /// <summary>Orchestration version of the current execution.</summary>
    public required string Version { get; init; }

    /// <summary>Runtime status.</summary>
    public OrchestrationRuntimeStatus RuntimeStatus { get; init; }

    /// <summary>Creation time of the current execution.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Time of the last state change.</summary>
    public DateTimeOffset LastUpdatedAt { get; init; }

    /// <summary>Serialized input; null unless inputs and outputs were requested.</summary>
    public string? SerializedInput { get; init; }

    /// <summary>Serialized output (or termination reason); null unless inputs and outputs were requested.</summary>
    public string? SerializedOutput { get; init; }

    /// <summary>Serialized custom status; null unless inputs and outputs were requested.</summary>
    public string? SerializedCustomStatus { get; init; }

    /// <summary>Failure details when Failed.</summary>
    public TaskFailureDetails? FailureDetails { get; init; }

    /// <summary>True while Pending, Running, Suspended or ContinuedAsNew.</summary>
    public bool IsRunning => !RuntimeStatus.IsTerminal();

    /// <summary>True once Completed, Failed or Terminated.</summary>
    public bool IsCompleted => RuntimeStatus.IsTerminal();

    internal DataConverter Converter { get; init; } = JsonDataConverter.Default;

    /// <summary>Deserializes the input.</summary>
    public T? ReadInputAs<T>() => Converter.Deserialize<T>(SerializedInput);

    /// <summary>Deserializes the output.</summary>
    public T? ReadOutputAs<T>() => Converter.Deserialize<T>(SerializedOutput);

    /// <summary>Deserializes the custom status.</summary>
    public T? ReadCustomStatusAs<T>() => Converter.Deserialize<T>(SerializedCustomStatus);
}

/// <summary>Options for starting an orchestration.</summary>
public sealed record StartOrchestrationOptions
{
    /// <summary>
    /// Caller-chosen instance id (idempotency key of the start). If an instance with this id is Pending,
    /// Running or Suspended, the start throws <see cref="OrchestrationAlreadyExistsException"/>.
    /// </summary>
    public string? InstanceId { get; init; }

    /// <summary>Delayed start: the instance stays Pending until then.</summary>
    public DateTimeOffset? StartAt { get; init; }

    /// <summary>Version to record; defaults to <see cref="DurableTaskOptions.DefaultVersion"/>.</summary>
    public string? Version { get; init; }
}

/// <summary>Instance query; null filters match everything.</summary>
public sealed record OrchestrationQuery
{
    /// <summary>Statuses to include.</summary>
    public IReadOnlyCollection<OrchestrationRuntimeStatus>? Statuses { get; init; }

    /// <summary>Orchestrator names to include.</summary>
    public IReadOnlyCollection<string>? Names { get; init; }

    /// <summary>Inclusive lower bound of the creation time.</summary>
    public DateTimeOffset? CreatedFrom { get; init; }

    /// <summary>Inclusive upper bound of the creation time.</summary>
    public DateTimeOffset? CreatedTo { get; init; }

    /// <summary>Instance id prefix.</summary>
    public string? InstanceIdPrefix { get; init; }

    /// <summary>Maximum results per page.</summary>
    public int PageSize { get; init; } = 100;

    /// <summary>Token from the previous page.</summary>
    public string? ContinuationToken { get; init; }

    /// <summary>Include inputs, outputs and custom status.</summary>
    public bool FetchInputsAndOutputs { get; init; }
}

/// <summary>One page of query results; <paramref name="ContinuationToken"/> is null on the last page.</summary>
public sealed record OrchestrationQueryResult(IReadOnlyList<OrchestrationMetadata> Instances, string? ContinuationToken);

/// <summary>Filter for purging many instances; only terminal instances are ever purged.</summary>
public sealed record PurgeInstancesFilter(DateTimeOffset? CreatedFrom = null, DateTimeOffset? CreatedTo = null, IReadOnlyCollection<OrchestrationRuntimeStatus>? Statuses = null);

/// <summary>Result of a purge.</summary>
public sealed record PurgeResult(int PurgedInstanceCount);
