using System.Collections.Concurrent;
using EcosystemFlows.Durable.Diagnostics;
using EcosystemFlows.Durable.History;
using EcosystemFlows.Durable.Ports;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EcosystemFlows.Durable.Client;

/// <summary>
/// Client over the store and dispatcher ports. Reads go to the store; every change of a running instance
/// is a control message processed by a worker, so the instance document has a single writer protocol.
/// </summary>
internal sealed class StoreDurableTaskClient(
    IInstanceStore store,
    IMessageDispatcher dispatcher,
    DataConverter converter,
    TimeProvider timeProvider,
    IOptions<DurableTaskOptions> options,
    ILogger<StoreDurableTaskClient> logger) : DurableTaskClient
{
    private const int MaxKnownInstances = 1_000;
    private readonly DurableTaskOptions _options = options.Value;

    // Instances this client saw exist. An instance never stops existing except by purge, and only terminal
    // instances can be purged, which ignore control messages anyway: sending to a known one needs no read first.
    // Bounded (cleared when full): forgetting only costs a read.
    private readonly ConcurrentDictionary<string, bool> _known = new(StringComparer.Ordinal);

    public override async Task<string> ScheduleNewOrchestrationInstanceAsync(string orchestratorName, object? input = null, StartOrchestrationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(orchestratorName);
        var instanceId = options?.InstanceId ?? Guid.NewGuid().ToString("N");
        return await StartAsync(instanceId, orchestratorName, options?.Version ?? _options.DefaultVersion, converter.Serialize(input), options?.StartAt, cancellationToken).ConfigureAwait(false);
    }

    public override async Task<OrchestrationMetadata?> GetInstanceAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellationToken = default)
    {
        var state = await store.GetStatusAsync(instanceId, cancellationToken).ConfigureAwait(false);
        if (state is null)
        {
            return null;
        }

        Remember(instanceId);
        return ToMetadata(state, getInputsAndOutputs);
    }

    public override async Task<IReadOnlyList<HistoryEvent>> GetOrchestrationHistoryAsync(string instanceId, CancellationToken cancellationToken = default)
    {
        var stored = await store.GetAsync(instanceId, cancellationToken).ConfigureAwait(false) ?? throw new OrchestrationNotFoundException(instanceId);
        return stored.State.History;
    }

    public override async Task<OrchestrationMetadata> WaitForInstanceCompletionAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var metadata = await GetInstanceAsync(instanceId, getInputsAndOutputs, cancellationToken).ConfigureAwait(false);
            if (metadata is { IsCompleted: true })
            {
                return metadata;
            }

            // Real-time polling on purpose: with a fake clock, waiting must not depend on the clock moving.
            await Task.Delay(_options.ClientPollingInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    public override Task RaiseEventAsync(string instanceId, string eventName, object? eventPayload = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(eventName);
        return RaiseAsync();

        async Task RaiseAsync()
        {
            using var span = DurableTelemetry.StartRaiseEvent(instanceId, eventName);
            var raised = new EventRaisedEvent(-1, Now, eventName, converter.Serialize(eventPayload)) { ParentTraceContext = DistributedTraceContext.Capture() };
            await SendControlAsync(instanceId, raised, "event " + eventName, cancellationToken).ConfigureAwait(false);
        }
    }

    public override Task RaiseEventAsync(string instanceId, string eventName, object? eventPayload, string eventId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(eventName);
        ArgumentException.ThrowIfNullOrEmpty(eventId);
        return SendControlAsync(instanceId, new EventRaisedEvent(-1, Now, eventName, converter.Serialize(eventPayload)), "event " + eventName, cancellationToken, $"event|{eventId}");
    }

    public override Task TerminateInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellationToken = default) =>
        SendControlAsync(instanceId, new ExecutionTerminatedEvent(-1, Now, reason), "terminate", cancellationToken);

    public override Task SuspendInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellationToken = default) =>
        SendControlAsync(instanceId, new ExecutionSuspendedEvent(-1, Now, reason), "suspend", cancellationToken);

    public override Task ResumeInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellationToken = default) =>
        SendControlAsync(instanceId, new ExecutionResumedEvent(-1, Now, reason), "resume", cancellationToken);

    public override async Task<PurgeResult> PurgeInstanceAsync(string instanceId, CancellationToken cancellationToken = default)
    {
        var stored = await store.GetAsync(instanceId, cancellationToken).ConfigureAwait(false);
        if (stored is null)
        {
            return new PurgeResult(0);
        }

        if (!stored.State.Status.IsTerminal())
        {
            throw new InvalidOperationException($"Instance '{instanceId}' is {stored.State.Status}; only completed, failed or terminated instances can be purged.");
        }

        _known.TryRemove(instanceId, out _);
        var deleted = await store.DeleteAsync(instanceId, cancellationToken).ConfigureAwait(false);
        Log.InstancePurged(logger, instanceId);
        return new PurgeResult(deleted ? 1 : 0);
    }

    public override async Task<PurgeResult> PurgeAllInstancesAsync(PurgeInstancesFilter filter, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var statuses = (filter.Statuses ?? Enum.GetValues<OrchestrationRuntimeStatus>()).Where(s => s.IsTerminal()).ToList();
        var query = new OrchestrationQuery { Statuses = statuses, CreatedFrom = filter.CreatedFrom, CreatedTo = filter.CreatedTo };

        // Collect first, then delete: deleting while paging would shift the pages.
        var ids = new List<string>();
        await foreach (var instance in GetAllInstancesAsync(query, cancellationToken).ConfigureAwait(false))
        {
            ids.Add(instance.InstanceId);
        }

        var purged = 0;
        foreach (var id in ids)
        {
            purged += (await PurgeInstanceAsync(id, cancellationToken).ConfigureAwait(false)).PurgedInstanceCount;
        }

        return new PurgeResult(purged);
    }

    public override async Task<OrchestrationQueryResult> QueryInstancesAsync(OrchestrationQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var page = await store.QueryAsync(
            new InstanceQuery(query.Statuses, query.Names, query.CreatedFrom?.UtcDateTime, query.CreatedTo?.UtcDateTime, query.InstanceIdPrefix, Math.Max(1, query.PageSize), query.ContinuationToken),
            cancellationToken).ConfigureAwait(false);
        return new OrchestrationQueryResult([.. page.Instances.Select(s => ToMetadata(s, query.FetchInputsAndOutputs))], page.ContinuationToken);
    }

    public override async Task<string> RestartAsync(string instanceId, bool restartWithNewInstanceId = false, CancellationToken cancellationToken = default)
    {
        var stored = await store.GetAsync(instanceId, cancellationToken).ConfigureAwait(false) ?? throw new OrchestrationNotFoundException(instanceId);
        var state = stored.State;
        if (!state.Status.IsTerminal())
        {
            throw new OrchestrationAlreadyExistsException(instanceId, state.Status);
        }

        var newId = restartWithNewInstanceId ? Guid.NewGuid().ToString("N") : instanceId;
        return await StartAsync(newId, state.Name, state.Version, state.Input, null, cancellationToken).ConfigureAwait(false);
    }

    private DateTime Now => timeProvider.GetUtcNow().UtcDateTime;

    private async Task<string> StartAsync(string instanceId, string name, string version, string? input, DateTimeOffset? startAt, CancellationToken cancellationToken)
    {
        var existing = await store.GetAsync(instanceId, cancellationToken).ConfigureAwait(false);
        if (existing is { State.Status: var status } && !status.IsTerminal())
        {
            if (existing.State is { Status: OrchestrationRuntimeStatus.Pending, Outbox: [{ Message.Event: ExecutionStartedEvent } stored] })
            {
                // Stored but not started: the start message may never have reached the queue (the transport failed
                // after the commit, and the caller is retrying). Re-send it; its id is deterministic, so a worker
                // that has it already discards this copy. Without this the accepted start would wait forever.
                await dispatcher.SendAsync(stored.Queue, DurableTelemetry.Stamp(stored.Message, stored.VisibleAt, timeProvider), stored.VisibleAt, cancellationToken).ConfigureAwait(false);
                Log.StartResent(logger, instanceId);
            }

            throw new OrchestrationAlreadyExistsException(instanceId, status);
        }

        var executionId = Guid.NewGuid().ToString("N");

        // Stored with the start, so every episode, activity and sub-orchestration continues the caller's trace.
        using var span = DurableTelemetry.StartCreateOrchestration(name, version, instanceId, executionId);
        var started = new ExecutionStartedEvent(-1, Now, name, version, input, executionId, null) { ParentTraceContext = DistributedTraceContext.Capture() };
        var start = new TaskMessage(MessageIdFor(instanceId, executionId), instanceId, executionId, started);
        var outbox = new OutboxMessage(DispatchQueue.Control, start, startAt);
        var state = new InstanceState
        {
            InstanceId = instanceId,
            ExecutionId = executionId,
            Name = name,
            Version = version,
            Status = OrchestrationRuntimeStatus.Pending,
            Input = input,
            CreatedTime = Now,
            LastUpdatedTime = Now,
            Outbox = [outbox],
        };

        // The start message rides in the outbox so a worker that loads the pending instance can re-send it.
        var etag = existing is null
            ? await store.TryCreateAsync(state, cancellationToken).ConfigureAwait(false)
            : await store.TryReplaceAsync(state, existing.ETag, cancellationToken).ConfigureAwait(false);
        if (etag is null)
        {
            var current = await store.GetAsync(instanceId, cancellationToken).ConfigureAwait(false);
            throw new OrchestrationAlreadyExistsException(instanceId, current?.State.Status ?? OrchestrationRuntimeStatus.Pending);
        }

        await dispatcher.SendAsync(DispatchQueue.Control, DurableTelemetry.Stamp(start, startAt, timeProvider), startAt, cancellationToken).ConfigureAwait(false);
        if (startAt is not null)
        {
            // A worker's first commit replaces the outbox; a scheduled start may wait long for it, and meanwhile
            // every worker loading the instance (events sent early) would re-send it.
            await store.TryReplaceAsync(state with { Outbox = [] }, etag, cancellationToken).ConfigureAwait(false);
        }

        Remember(instanceId);
        Log.InstanceScheduled(logger, instanceId, name, version);
        return instanceId;
    }

    private static string MessageIdFor(string instanceId, string executionId) => $"{instanceId}|{executionId}|start";

    private async Task SendControlAsync(string instanceId, HistoryEvent historyEvent, string operation, CancellationToken cancellationToken, string? messageId = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        if (!_known.ContainsKey(instanceId))
        {
            _ = await store.GetAsync(instanceId, cancellationToken).ConfigureAwait(false) ?? throw new OrchestrationNotFoundException(instanceId);
            Remember(instanceId);
        }

        var message = new TaskMessage(messageId ?? Guid.NewGuid().ToString("N"), instanceId, null, historyEvent);
        await dispatcher.SendAsync(DispatchQueue.Control, DurableTelemetry.Stamp(message, null, timeProvider), null, cancellationToken).ConfigureAwait(false);
        Log.ControlSent(logger, operation, instanceId);
    }

    private void Remember(string instanceId)
    {
        if (_known.Count >= MaxKnownInstances)
        {
            _known.Clear();
        }

        _known[instanceId] = true;
    }

    private OrchestrationMetadata ToMetadata(InstanceState state, bool includePayloads) => new()
    {
        Name = state.Name,
        InstanceId = state.InstanceId,
        Version = state.Version,
        RuntimeStatus = state.Status,
        CreatedAt = new DateTimeOffset(DateTime.SpecifyKind(state.CreatedTime, DateTimeKind.Utc)),
        LastUpdatedAt = new DateTimeOffset(DateTime.SpecifyKind(state.LastUpdatedTime, DateTimeKind.Utc)),
        SerializedInput = includePayloads ? state.Input : null,
        SerializedOutput = includePayloads ? state.Output : null,
        SerializedCustomStatus = includePayloads ? state.CustomStatus : null,
        FailureDetails = state.FailureDetails,
        Converter = converter,
    };
}
