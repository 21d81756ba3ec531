using DurableTask.Core;
using DurableTask.Core.History;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using CoreOrchestrationQuery = DurableTask.Core.Query.OrchestrationQuery;
using OrchestrationQuery = Microsoft.DurableTask.Client.OrchestrationQuery;
using PurgeResult = Microsoft.DurableTask.Client.PurgeResult;

namespace EcosystemFlows.DurableTask.Hosting;

/// <summary>
/// The Durable Task SDK's <see cref="DurableTaskClient"/> over the Durable Task Framework's
/// <see cref="TaskHubClient"/> and the Azure Storage provider, for the local host (the Functions app gets its
/// client from the Durable extension). Behaves as Durable Functions' client does where the framework leaves a
/// choice: a start never replaces an instance that has not finished, unless the caller says so.
/// </summary>
public sealed class TaskHubDurableTaskClient : DurableTaskClient
{
    /// <summary>Statuses whose instance a new start must not replace (Durable Functions' default).</summary>
    internal static readonly OrchestrationStatus[] NotFinished =
        [OrchestrationStatus.Pending, OrchestrationStatus.Running, OrchestrationStatus.ContinuedAsNew, OrchestrationStatus.Suspended];

    private static readonly TimeSpan WaitPollInterval = TimeSpan.FromMilliseconds(250);

    private readonly TaskHubService _hub;
    private readonly TaskHubClient _client;
    private readonly DataConverter _converter;
    private readonly string? _defaultVersion;

    /// <summary>Called by the SDK's client builder with the builder's name.</summary>
    public TaskHubDurableTaskClient(string name, TaskHubService hub, IOptionsMonitor<DurableTaskClientOptions> options, ILoggerFactory loggerFactory)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(hub);
        ArgumentNullException.ThrowIfNull(options);
        var clientOptions = options.Get(name);
        _hub = hub;
        _converter = clientOptions.DataConverter;
        _defaultVersion = clientOptions.DefaultVersion;
        _client = new TaskHubClient(hub.Client, new CoreDataConverter(_converter), loggerFactory);
    }

    /// <inheritdoc />
    public override async Task<string> ScheduleNewOrchestrationInstanceAsync(
        TaskName orchestratorName, object? input = null, StartOrchestrationOptions? options = null, CancellationToken cancellation = default)
    {
        await _hub.EnsureCreatedAsync(cancellation).ConfigureAwait(false);
        var instanceId = options?.InstanceId ?? Guid.NewGuid().ToString("N");
        var version = options?.Version?.Version ?? _defaultVersion ?? "";
        var dedupe = options?.DedupeStatuses is { } statuses
            ? [.. statuses.Select(s => Enum.Parse<OrchestrationStatus>(s, ignoreCase: true))]
            : NotFinished;
        var tags = options?.Tags?.ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal);
        var instance = options?.StartAt is { } startAt
            ? await _client.CreateOrchestrationInstanceAsync(orchestratorName.Name, version, instanceId, input, tags, dedupe, startAt.UtcDateTime).ConfigureAwait(false)
            : await _client.CreateOrchestrationInstanceAsync(orchestratorName.Name, version, instanceId, input, tags, dedupe).ConfigureAwait(false);
        return instance.InstanceId;
    }

    /// <inheritdoc />
    public override async Task RaiseEventAsync(string instanceId, string eventName, object? eventPayload = null, CancellationToken cancellation = default)
    {
        await _hub.EnsureCreatedAsync(cancellation).ConfigureAwait(false);
        await _client.RaiseEventAsync(new OrchestrationInstance { InstanceId = instanceId }, eventName, eventPayload!).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override async Task TerminateInstanceAsync(string instanceId, TerminateInstanceOptions? options = null, CancellationToken cancellation = default)
    {
        await _hub.EnsureCreatedAsync(cancellation).ConfigureAwait(false);
        var reason = options?.Output switch
        {
            null => null,
            string text => text,
            var output => _converter.Serialize(output),
        };
        await _client.TerminateInstanceAsync(new OrchestrationInstance { InstanceId = instanceId }, reason!).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override async Task SuspendInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default)
    {
        await _hub.EnsureCreatedAsync(cancellation).ConfigureAwait(false);
        await _client.SuspendInstanceAsync(new OrchestrationInstance { InstanceId = instanceId }, reason).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override async Task ResumeInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default)
    {
        await _hub.EnsureCreatedAsync(cancellation).ConfigureAwait(false);
        await _client.ResumeInstanceAsync(new OrchestrationInstance { InstanceId = instanceId }, reason).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override async Task<OrchestrationMetadata?> GetInstancesAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default)
    {
        await _hub.EnsureCreatedAsync(cancellation).ConfigureAwait(false);
        var states = await _hub.Client.GetOrchestrationStateAsync(instanceId, allExecutions: false).ConfigureAwait(false);
        return states.FirstOrDefault() is { } state ? ToMetadata(state, getInputsAndOutputs) : null;
    }

    /// <inheritdoc />
    public override AsyncPageable<OrchestrationMetadata> GetAllInstancesAsync(OrchestrationQuery? filter = null) =>
        Pageable.Create(async (continuation, pageSize, cancellation) =>
        {
            await _hub.EnsureCreatedAsync(cancellation).ConfigureAwait(false);
            var query = new CoreOrchestrationQuery
            {
                RuntimeStatus = filter?.Statuses?.Select(s => (OrchestrationStatus)s).ToList(),
                CreatedTimeFrom = filter?.CreatedFrom?.UtcDateTime,
                CreatedTimeTo = filter?.CreatedTo?.UtcDateTime,
                InstanceIdPrefix = filter?.InstanceIdPrefix,
                PageSize = pageSize ?? filter?.PageSize ?? OrchestrationQuery.DefaultPageSize,
                ContinuationToken = continuation ?? filter?.ContinuationToken,
                FetchInputsAndOutputs = filter?.FetchInputsAndOutputs ?? false,
                ExcludeEntities = true,
            };
            var result = await _hub.Query.GetOrchestrationWithQueryAsync(query, cancellation).ConfigureAwait(false);
            return new Page<OrchestrationMetadata>(
                [.. result.OrchestrationState.Select(s => ToMetadata(s, query.FetchInputsAndOutputs))],
                string.IsNullOrEmpty(result.ContinuationToken) ? null : result.ContinuationToken);
        });

    /// <inheritdoc />
    public override async Task<OrchestrationMetadata> WaitForInstanceStartAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default)
    {
        while (true)
        {
            if (await GetInstancesAsync(instanceId, getInputsAndOutputs, cancellation).ConfigureAwait(false) is { RuntimeStatus: not OrchestrationRuntimeStatus.Pending } metadata)
            {
                return metadata;
            }

            await Task.Delay(WaitPollInterval, cancellation).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public override async Task<OrchestrationMetadata> WaitForInstanceCompletionAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default)
    {
        while (true)
        {
            if (await GetInstancesAsync(instanceId, getInputsAndOutputs, cancellation).ConfigureAwait(false) is { IsCompleted: true } metadata)
            {
                return metadata;
            }

            await Task.Delay(WaitPollInterval, cancellation).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public override async Task<PurgeResult> PurgeInstanceAsync(string instanceId, PurgeInstanceOptions? options = null, CancellationToken cancellation = default)
    {
        await _hub.EnsureCreatedAsync(cancellation).ConfigureAwait(false);
        var result = await _hub.Purge.PurgeInstanceStateAsync(instanceId).ConfigureAwait(false);
        return new PurgeResult(result.DeletedInstanceCount);
    }

    /// <inheritdoc />
    public override async Task<PurgeResult> PurgeAllInstancesAsync(PurgeInstancesFilter filter, PurgeInstanceOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        await _hub.EnsureCreatedAsync(cancellation).ConfigureAwait(false);
        var coreFilter = new PurgeInstanceFilter(
            filter.CreatedFrom?.UtcDateTime ?? DateTime.MinValue,
            filter.CreatedTo?.UtcDateTime,
            filter.Statuses?.Select(s => (OrchestrationStatus)s));
        var result = await _hub.Purge.PurgeInstanceStateAsync(coreFilter).ConfigureAwait(false);
        return new PurgeResult(result.DeletedInstanceCount);
    }

    /// <summary>
    /// Starts a finished instance again with its original name, version and input, under the same id (the
    /// history of the finished run is replaced) or a new one. An instance that has not finished is refused.
    /// </summary>
    public override async Task<string> RestartAsync(string instanceId, bool restartWithNewInstanceId = false, CancellationToken cancellation = default)
    {
        await _hub.EnsureCreatedAsync(cancellation).ConfigureAwait(false);
        var state = (await _hub.Client.GetOrchestrationStateAsync(instanceId, allExecutions: false).ConfigureAwait(false)).FirstOrDefault()
            ?? throw new ArgumentException($"No orchestration instance '{instanceId}'.", nameof(instanceId));
        if (NotFinished.Contains(state.OrchestrationStatus))
        {
            throw new InvalidOperationException($"Instance '{instanceId}' is {state.OrchestrationStatus}: only a finished instance can be restarted.");
        }

        var newId = restartWithNewInstanceId ? Guid.NewGuid().ToString("N") : instanceId;
        var started = new ExecutionStartedEvent(-1, state.Input)
        {
            Name = state.Name,
            Version = state.Version ?? "",
            OrchestrationInstance = new OrchestrationInstance { InstanceId = newId, ExecutionId = Guid.NewGuid().ToString("N") },
            Tags = state.Tags,
        };
        await _hub.Client.CreateTaskOrchestrationAsync(
            new TaskMessage { OrchestrationInstance = started.OrchestrationInstance, Event = started }, NotFinished).ConfigureAwait(false);
        return newId;
    }

    /// <inheritdoc />
    public override async Task<IList<HistoryEvent>> GetOrchestrationHistoryAsync(string instanceId, CancellationToken cancellation = default)
    {
        await _hub.EnsureCreatedAsync(cancellation).ConfigureAwait(false);
        var state = (await _hub.Client.GetOrchestrationStateAsync(instanceId, allExecutions: false).ConfigureAwait(false)).FirstOrDefault()
            ?? throw new ArgumentException($"No orchestration instance '{instanceId}'.", nameof(instanceId));
        var json = await _hub.Client.GetOrchestrationHistoryAsync(instanceId, state.OrchestrationInstance.ExecutionId).ConfigureAwait(false);
        return HistoryJson.Read(json);
    }

    /// <inheritdoc />
    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private OrchestrationMetadata ToMetadata(OrchestrationState state, bool withData) =>
        new(state.Name, state.OrchestrationInstance.InstanceId)
        {
            RuntimeStatus = (OrchestrationRuntimeStatus)state.OrchestrationStatus,
            CreatedAt = DateTime.SpecifyKind(state.CreatedTime, DateTimeKind.Utc),
            LastUpdatedAt = DateTime.SpecifyKind(state.LastUpdatedTime, DateTimeKind.Utc),
            SerializedInput = withData ? state.Input : null,
            SerializedOutput = withData ? state.Output : null,
            SerializedCustomStatus = withData ? state.Status : null,
            Tags = state.Tags is { } tags ? new Dictionary<string, string>(tags, StringComparer.Ordinal) : new Dictionary<string, string>(StringComparer.Ordinal),
            FailureDetails = ToFailureDetails(state.FailureDetails)
                ?? (state.OrchestrationStatus == OrchestrationStatus.Failed ? FailureFromOutput(state.Output) : null),
            DataConverter = _converter,
        };

    /// <summary>
    /// The Azure Storage provider keeps a failed instance's failure as text in its output
    /// (<c>{ErrorType}: {ErrorMessage}</c>), not as structured details: read them back from it.
    /// </summary>
    internal static TaskFailureDetails FailureFromOutput(string? output)
    {
        var text = output ?? "";
        var separator = text.IndexOf(": ", StringComparison.Ordinal);
        var type = separator > 0 ? text[..separator] : "";
        return type.Length > 0 && !type.Contains(' ', StringComparison.Ordinal)
            ? new TaskFailureDetails(type, text[(separator + 2)..], null, null, null)
            : new TaskFailureDetails("Unknown", text, null, null, null);
    }

    private static TaskFailureDetails? ToFailureDetails(FailureDetails? details) =>
        details is null
            ? null
            : new TaskFailureDetails(details.ErrorType, details.ErrorMessage, details.StackTrace, ToFailureDetails(details.InnerFailure), details.Properties);
}
