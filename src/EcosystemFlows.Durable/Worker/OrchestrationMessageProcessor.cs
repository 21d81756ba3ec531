using EcosystemFlows.Durable.Diagnostics;
using EcosystemFlows.Durable.Engine;
using EcosystemFlows.Durable.History;
using EcosystemFlows.Durable.Ports;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EcosystemFlows.Durable.Worker;

/// <summary>
/// Applies one control-queue message to its instance: load (with ETag), re-send an outbox left by an
/// interrupted episode, skip already-processed messages, run the episode, commit with one conditional
/// write (reload and retry on conflict), send the new outbox, then clear it. The caller deletes the
/// message only after this returns, so a crash at any point leads to a redelivery that converges.
/// </summary>
internal sealed partial class OrchestrationMessageProcessor(
    IInstanceStore store,
    IMessageDispatcher dispatcher,
    DurableTaskRegistry registry,
    IServiceProvider services,
    DataConverter converter,
    TimeProvider timeProvider,
    DurableTaskOptions options,
    ILoggerFactory loggerFactory)
{
    // Enough overlapping sends for a batching transport to fill whole envelopes (Storage queues: 32 per message).
    private const int OutboxSendParallelism = 128;
    private readonly ILogger _logger = loggerFactory.CreateLogger("EcosystemFlows.Durable.Orchestrations");
    private readonly DurableTaskRegistry _registry = registry;
    private readonly IServiceProvider _services = services;
    private readonly DataConverter _converter = converter;
    private readonly ILoggerFactory _loggerFactory = loggerFactory;
    private readonly DurableTaskOptions _options = options;
    private readonly InstanceStateCache _cache = new(options.InstanceCacheSize);

    public Task ProcessAsync(TaskMessage message, CancellationToken cancellationToken) => ProcessBatchAsync([message], cancellationToken);

    /// <summary>Applies the messages and waits until the outboxes of their episodes are sent.</summary>
    public async Task ProcessBatchAsync(IReadOnlyList<TaskMessage> messages, CancellationToken cancellationToken) =>
        await (await CommitBatchAsync(messages, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);

    /// <summary>Commits one message; see <see cref="CommitBatchAsync"/>.</summary>
    public Task<Task> CommitAsync(TaskMessage message, CancellationToken cancellationToken) => CommitBatchAsync([message], cancellationToken);

    /// <summary>
    /// Applies messages of ONE instance, in order, and returns once their episodes are committed, with the task
    /// that sends their outboxes: the messages may be deleted only after that task succeeded. Consecutive messages
    /// other than starts are applied in one episode (one replay, one commit), as Durable Task does: 1,000 activity
    /// results arriving together cost a few episodes, not 1,000 each replaying a growing history.
    /// </summary>
    public async Task<Task> CommitBatchAsync(IReadOnlyList<TaskMessage> messages, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var due = new List<TaskMessage>(messages.Count);
        foreach (var message in messages)
        {
            if (message.Event is TimerFiredEvent fired && fired.FireAt > now.UtcDateTime)
            {
                // Received before its time: the transport capped the delay (Storage queues: 7 days). Chain it.
                await dispatcher.SendAsync(DispatchQueue.Control, message, CapDelay(fired.FireAt, now.UtcDateTime), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                due.Add(message);
            }
        }

        var sends = new List<Task>();
        var run = new List<TaskMessage>();
        foreach (var message in due)
        {
            // A start changes which execution the following messages belong to: it gets an episode of its own.
            if (message.Event is ExecutionStartedEvent)
            {
                sends.Add(await ProcessRunAsync(run, cancellationToken).ConfigureAwait(false));
                sends.Add(await ProcessRunAsync([message], cancellationToken).ConfigureAwait(false));
                run = [];
            }
            else
            {
                run.Add(message);
            }
        }

        sends.Add(await ProcessRunAsync(run, cancellationToken).ConfigureAwait(false));
        return Task.WhenAll(sends);
    }

    /// <summary>
    /// Commits one episode; returns the task its messages settle on (not awaited, so the next episode can start): its
    /// outbox sent, and those of this worker's earlier commits of the instance still being sent.
    /// </summary>
    private async Task<Task> ProcessRunAsync(List<TaskMessage> messages, CancellationToken cancellationToken)
    {
        if (messages.Count == 0)
        {
            return Task.CompletedTask;
        }

        var message = messages[0];
        string? sentETag = null;

        // The cache entry dropped below to decide on the stored document. Its sends (this worker's earlier commits of
        // the instance) may still be running, and a message decided here may have been applied by one of them (a
        // duplicate delivery of the same queue message): it settles only after them. Deleting it sooner would leave
        // their messages in the document alone, with nothing in any queue to bring the instance back after a crash.
        CachedInstance? dropped = null;
        for (var attempt = 1; attempt <= _options.MaxCommitAttempts; attempt++)
        {
            // The state this worker committed last is reused instead of read back: the conditional write below
            // still rejects it if anyone else committed since, and then the next attempt reloads. After a failed
            // send the document is read back, so its outbox is re-sent.
            if (_cache.TryGet(message.InstanceId, out var cached) && cached!.AnySendFailed)
            {
                _cache.Remove(message.InstanceId);
                cached = null;
            }

            var stored = cached?.Stored ?? await store.GetAsync(message.InstanceId, cancellationToken).ConfigureAwait(false);
            if (stored is { State.Outbox.Count: > 0 } && stored.ETag != sentETag)
            {
                // The document keeps the outbox of its last commit, which may have died before sending it: ids are
                // deterministic, so re-sending is safe; what the history shows done is not sent again.
                await ResendUnresolvedAsync(stored.State, messages, cancellationToken).ConfigureAwait(false);
            }

            var episode = new Episode(this, messages, timeProvider.GetUtcNow().UtcDateTime);
            var next = episode.Run(stored?.State);
            if (next is null && cached is not null)
            {
                // Never drop a message on the strength of a cached state: decide again on the stored one. Cached
                // states are the ones whose outbox this worker sends, so an unchanged document needs no re-send.
                sentETag = stored!.ETag;
                dropped = cached;
                _cache.Remove(message.InstanceId);
                continue;
            }

            if (next is null)
            {
                Log.MessageIgnored(_logger, message.InstanceId, message.Id, episode.IgnoreReason);
                if (stored is { State.Outbox.Count: > 0 } && stored.ETag != sentETag)
                {
                    // Re-sent just above; a send of this worker's own may still be running and keeps it.
                    await TryClearOutboxAsync(stored.State, stored.ETag, cancellationToken).ConfigureAwait(false);
                }
                else if (dropped is not null && stored?.ETag == sentETag)
                {
                    // The document is still the one the entry holds: it comes back, so the next copy of a duplicate
                    // is decided without a read and without re-sending what this worker's sends already carry.
                    _cache.Set(message.InstanceId, dropped);
                }

                return AllSent(dropped?.Sends ?? []);
            }

            // Messages of earlier commits whose send is still running ride along: the document must hold every
            // message not known to be sent, because this commit replaces its outbox.
            var unconfirmed = cached?.Unconfirmed ?? [];
            var written = unconfirmed.Count == 0 ? next : next with { Outbox = [.. unconfirmed, .. next.Outbox] };
            var etag = stored is null
                ? await store.TryCreateAsync(written, cancellationToken).ConfigureAwait(false)
                : await store.TryReplaceAsync(written, stored.ETag, cancellationToken).ConfigureAwait(false);
            if (etag is null)
            {
                _cache.Remove(message.InstanceId);
                Log.CommitConflict(_logger, message.InstanceId, attempt);
                continue;
            }

            episode.Telemetry.Committed(next);
            Log.EpisodeCommitted(_logger, next.InstanceId, next.Name, message.Id, next.Status, episode.ActionCount);

            // Sent while the next episode runs: a local consumer gets the messages at once (the activity of a
            // sequence runs while its work item is being stored), and the caller deletes the triggering messages
            // only once this send succeeded. Only a worker loading the document without this cache entry re-sends
            // the outbox (see above).
            var sending = new OutboxSend(next.Outbox, next.Outbox.Count == 0 ? Task.CompletedTask : SendAsync(next.Outbox, cancellationToken));
            var sends = cached?.Pending(sending) ?? [sending];
            _cache.Set(next.InstanceId, next.Status.IsTerminal() ? null : new CachedInstance(new StoredInstance(next with { Outbox = [] }, etag), sends));
            return AllSent(dropped is null ? sends : [.. dropped.Sends, .. sends]);
        }

        throw new InvalidOperationException($"Could not commit an episode of '{message.InstanceId}' after {_options.MaxCommitAttempts} ETag conflicts.");
    }

    /// <summary>
    /// The outbox messages still worth sending: not among the messages being applied, and, for work items and
    /// timers, without a result in the history of the current execution or among the processed messages (a
    /// result applied before a ContinueAsNew).
    /// </summary>
    private static List<OutboxMessage> Unresolved(InstanceState state, List<TaskMessage> applying)
    {
        var ids = applying.Select(m => m.Id).ToHashSet(StringComparer.Ordinal);
        var resolved = new HashSet<int>();
        foreach (var historyEvent in state.History)
        {
            switch (historyEvent)
            {
                case TaskCompletedEvent e:
                    resolved.Add(e.TaskScheduledId);
                    break;
                case TaskFailedEvent e:
                    resolved.Add(e.TaskScheduledId);
                    break;
                case TimerFiredEvent e:
                    resolved.Add(e.TimerId);
                    break;
            }
        }

        var processed = state.ProcessedMessageIds.ToHashSet(StringComparer.Ordinal);
        var current = (OutboxMessage m) => m.Message.ExecutionId == state.ExecutionId;
        return [.. state.Outbox.Where(m => !ids.Contains(m.Message.Id) && !(m.Message.Event switch
        {
            TaskScheduledEvent scheduled => (current(m) && resolved.Contains(scheduled.EventId))
                || processed.Contains(MessageIds.ForTask(m.Message.InstanceId, m.Message.ExecutionId!, scheduled.EventId, "result")),
            TimerFiredEvent timer => (current(m) && resolved.Contains(timer.TimerId)) || processed.Contains(m.Message.Id),
            _ => false,
        }))];
    }

    /// <summary>Succeeds once every one of <paramref name="sends"/> succeeded; what settles the messages of a step.</summary>
    private static Task AllSent(IReadOnlyList<OutboxSend> sends) => sends.Count == 1 ? sends[0].Sent : Task.WhenAll(sends.Select(s => s.Sent));

    private async Task SendAsync(IReadOnlyCollection<OutboxMessage> messages, CancellationToken cancellationToken)
    {
        if (messages.Count == 1)
        {
            var single = messages.First();
            await dispatcher.SendAsync(single.Queue, single.Message, single.VisibleAt, cancellationToken).ConfigureAwait(false);
            return;
        }

        // Queues are unordered, so the sends are independent: a fan-out of 1,000 work items costs a few
        // round trips' time instead of 1,000 in a row.
        var parallelism = new ParallelOptions { MaxDegreeOfParallelism = OutboxSendParallelism, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(messages, parallelism, async (outgoing, ct) =>
            await dispatcher.SendAsync(outgoing.Queue, outgoing.Message, outgoing.VisibleAt, ct).ConfigureAwait(false)).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends what the stored document's outbox still holds unresolved, as the redelivery of any message for the
    /// instance would (ids are deterministic: a message sent twice is recognised as processed).
    /// </summary>
    public async Task ResendOutboxAsync(string instanceId, CancellationToken cancellationToken)
    {
        if (await store.GetAsync(instanceId, cancellationToken).ConfigureAwait(false) is { State.Outbox.Count: > 0 } stored)
        {
            await ResendUnresolvedAsync(stored.State, [], cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Sends the outbox messages of <paramref name="state"/> still worth sending (see <see cref="Unresolved"/>).</summary>
    private async Task ResendUnresolvedAsync(InstanceState state, List<TaskMessage> applying, CancellationToken cancellationToken)
    {
        var leftovers = Unresolved(state, applying);
        if (leftovers.Count > 0)
        {
            await SendAsync(leftovers, cancellationToken).ConfigureAwait(false);
            Log.OutboxRecovered(_logger, state.InstanceId, leftovers.Count);
        }
    }

    private async Task<string?> TryClearOutboxAsync(InstanceState state, string etag, CancellationToken cancellationToken) =>
        // A conflict (null) is fine: whoever committed in between loaded this outbox and re-sent it first.
        await store.TryReplaceAsync(state with { Outbox = [] }, etag, cancellationToken).ConfigureAwait(false);

    private DateTimeOffset CapDelay(DateTime fireAt, DateTime now) =>
        dispatcher.MaximumDelay is { } max && fireAt - now > max ? new DateTimeOffset(now + max, TimeSpan.Zero) : new DateTimeOffset(fireAt, TimeSpan.Zero);

    /// <summary>The state transition of one message; pure apart from running orchestrator code.</summary>
    private sealed class Episode(OrchestrationMessageProcessor owner, IReadOnlyList<TaskMessage> messages, DateTime now)
    {
        private readonly List<OutboxMessage> _outbox = [];
        private readonly TaskMessage message = messages[0];
        private List<string> _applied = [messages[0].Id];

        public string IgnoreReason { get; private set; } = string.Empty;

        public int ActionCount { get; private set; }

        public EpisodeTelemetry Telemetry { get; } = new();

        public InstanceState? Run(InstanceState? state)
        {
            Telemetry.Load(state);
            if (messages.Count > 1)
            {
                return RunBatch(state);
            }

            if (state is not null && state.ProcessedMessageIds.Contains(message.Id))
            {
                return Ignore("already processed");
            }

            List<HistoryEvent> toApply;
            if (message.Event is ExecutionStartedEvent started)
            {
                if (state is null || (started.ExecutionId != state.ExecutionId && state.Status.IsTerminal()))
                {
                    state = new InstanceState
                    {
                        InstanceId = message.InstanceId,
                        ExecutionId = started.ExecutionId,
                        Name = started.Name,
                        Version = started.Version,
                        Status = OrchestrationRuntimeStatus.Running,
                        Input = started.Input,
                        CreatedTime = now,
                        Parent = started.Parent,
                    };
                    toApply = [started];
                }
                else if (started.ExecutionId == state.ExecutionId)
                {
                    if (state.Status.IsTerminal() || IsStarted(state))
                    {
                        return Ignore("duplicate start");
                    }

                    toApply = [started, .. state.Inbox];
                    state = state with { Status = OrchestrationRuntimeStatus.Running, Inbox = [], Parent = started.Parent };
                }
                else if (started.Parent is { } parent)
                {
                    // A sub-orchestration id already used by a live instance: fail the call in the parent.
                    var details = new TaskFailureDetails(typeof(OrchestrationAlreadyExistsException).FullName!, $"Instance '{message.InstanceId}' already exists and is {state.Status}.", null, null);
                    _outbox.Add(ToParent(parent, message.InstanceId, started.ExecutionId, "collision", new SubOrchestrationInstanceFailedEvent(-1, now, parent.TaskScheduledId, details)));
                    return Commit(state);
                }
                else
                {
                    return Ignore("instance id in use by another execution");
                }
            }
            else if (state is null)
            {
                return Ignore("unknown instance");
            }
            else if (message.ExecutionId is not null && message.ExecutionId != state.ExecutionId)
            {
                return Ignore("stale execution");
            }
            else if (state.Status.IsTerminal())
            {
                return Ignore("instance is terminal");
            }
            else
            {
                toApply = [message.Event];
            }

            return Commit(ApplyEvents(state, toApply));
        }

        private InstanceState? Ignore(string reason)
        {
            IgnoreReason = reason;
            return null;
        }

        /// <summary>Several non-start messages: drop duplicates and stale ones, then apply the rest in one episode.</summary>
        private InstanceState? RunBatch(InstanceState? state)
        {
            if (state is null)
            {
                return Ignore("unknown instance");
            }

            if (state.Status.IsTerminal())
            {
                return Ignore("instance is terminal");
            }

            var seen = state.ProcessedMessageIds.ToHashSet(StringComparer.Ordinal);
            var applied = messages.Where(m => seen.Add(m.Id) && (m.ExecutionId is null || m.ExecutionId == state.ExecutionId)).ToList();
            if (applied.Count == 0)
            {
                return Ignore("already processed or stale execution");
            }

            _applied = [.. applied.Select(m => m.Id)];
            return Commit(ApplyEvents(state, [.. applied.Select(m => m.Event)]));
        }

        private InstanceState Commit(InstanceState state)
        {
            var processed = state.ProcessedMessageIds.Concat(_applied);
            var overflow = state.ProcessedMessageIds.Count + _applied.Count - owner._options.MaxProcessedMessageIds;
            return state with
            {
                Outbox = _outbox,
                ProcessedMessageIds = [.. overflow > 0 ? processed.Skip(overflow) : processed],
                LastUpdatedTime = now,
            };
        }

        private InstanceState ApplyEvents(InstanceState state, List<HistoryEvent> events)
        {
            var work = new Queue<HistoryEvent>(events);
            var batch = new List<HistoryEvent>();
            var started = IsStarted(state);
            while (work.TryDequeue(out var next) && !state.Status.IsTerminal())
            {
                switch (next)
                {
                    case ExecutionStartedEvent:
                        batch.Add(next);
                        started = true;
                        break;
                    case ExecutionTerminatedEvent terminated:
                        state = Terminate(Flush(state, batch), terminated);
                        break;
                    case var _ when !started || state.Status == OrchestrationRuntimeStatus.ContinuedAsNew:
                        // Not started yet (scheduled start, or between ContinueAsNew and the new start): keep for later.
                        state = state with { Inbox = [.. state.Inbox, next] };
                        break;
                    case ExecutionSuspendedEvent when state.Status == OrchestrationRuntimeStatus.Running:
                        state = Flush(state, batch);
                        state = state with { Status = OrchestrationRuntimeStatus.Suspended, History = [.. state.History, next] };
                        break;
                    case ExecutionResumedEvent when state.Status == OrchestrationRuntimeStatus.Suspended:
                        foreach (var buffered in state.Inbox)
                        {
                            work.Enqueue(buffered);
                        }

                        state = state with { Status = OrchestrationRuntimeStatus.Running, History = [.. state.History, next], Inbox = [] };
                        break;
                    case ExecutionSuspendedEvent or ExecutionResumedEvent:
                        break;
                    case var _ when state.Status == OrchestrationRuntimeStatus.Suspended:
                        state = state with { Inbox = [.. state.Inbox, next] };
                        break;
                    case var _ when HasResult(state.History, batch, next):
                        break;
                    default:
                        batch.Add(next);
                        break;
                }

                if (state.Status == OrchestrationRuntimeStatus.ContinuedAsNew)
                {
                    started = false;
                }
            }

            return Flush(state, batch);
        }

        private static bool IsStarted(InstanceState state) => state.History.Take(2).Any(e => e is ExecutionStartedEvent);

        private static bool HasResult(IReadOnlyList<HistoryEvent> history, List<HistoryEvent> batch, HistoryEvent candidate)
        {
            var taskId = ResultTaskId(candidate);
            return taskId is not null && history.Concat(batch).Any(e => ResultTaskId(e) == taskId);
        }

        private static int? ResultTaskId(HistoryEvent historyEvent) => historyEvent switch
        {
            TaskCompletedEvent e => e.TaskScheduledId,
            TaskFailedEvent e => e.TaskScheduledId,
            TimerFiredEvent e => e.TimerId,
            SubOrchestrationInstanceCompletedEvent e => e.TaskScheduledId,
            SubOrchestrationInstanceFailedEvent e => e.TaskScheduledId,
            _ => null,
        };

        private InstanceState Flush(InstanceState state, List<HistoryEvent> batch)
        {
            if (batch.Count == 0 || state.Status != OrchestrationRuntimeStatus.Running)
            {
                return state;
            }

            List<HistoryEvent> newEvents = [new OrchestratorStartedEvent(-1, now), .. batch];
            batch.Clear();
            var history = new List<HistoryEvent>(state.History);
            history.AddRange(newEvents);
            Telemetry.Begin(state, history, newEvents);
            if (!owner._registry.TryGetOrchestrator(state.Name, out var type))
            {
                var missing = new TaskFailureDetails("OrchestratorNotFound", $"No orchestrator named '{state.Name}' is registered.", null, null);
                return Complete(state with { History = history }, new OrchestrationCompletion(OrchestrationRuntimeStatus.Failed, null, missing, []));
            }

            using var scope = owner._services.CreateScope();
            var orchestrator = (ITaskOrchestrator)ActivatorUtilities.CreateInstance(scope.ServiceProvider, type);
            var result = OrchestrationExecutor.Execute(
                orchestrator, state.InstanceId, state.History, newEvents, state.CustomStatus, owner._converter, owner._loggerFactory, owner._options.DefaultVersion);
            foreach (var action in result.NewActions)
            {
                history.Add(action.ToHistoryEvent(now));
                _outbox.Add(ToMessage(state, action));
            }

            ActionCount += result.NewActions.Count;
            state = state with { History = history, CustomStatus = result.CustomStatus };
            return result.Completion is { } completion ? Complete(state, completion) : state;
        }

        private OutboxMessage ToMessage(InstanceState state, OrchestratorAction action)
        {
            var (instanceId, executionId) = (state.InstanceId, state.ExecutionId);
            switch (action)
            {
                case ScheduleTaskAction task:
                    return new OutboxMessage(
                        DispatchQueue.WorkItem,
                        new TaskMessage(MessageIds.ForTask(instanceId, executionId, task.Id, "activity"), instanceId, executionId, new TaskScheduledEvent(task.Id, now, task.Name, task.Input) { ParentTraceContext = Telemetry.Context }),
                        null);
                case CreateTimerAction timer:
                    return new OutboxMessage(
                        DispatchQueue.Control,
                        new TaskMessage(MessageIds.ForTask(instanceId, executionId, timer.Id, "timer"), instanceId, executionId, new TimerFiredEvent(-1, timer.FireAt, timer.Id, timer.FireAt)),
                        owner.CapDelay(timer.FireAt, now));
                case CreateSubOrchestrationAction sub:
                    var childExecutionId = DeterministicGuid.CreateId(MessageIds.ForTask(instanceId, executionId, sub.Id, "suborchestration"));
                    var start = new ExecutionStartedEvent(-1, now, sub.Name, sub.Version, sub.Input, childExecutionId, new ParentInstance(instanceId, executionId, sub.Id))
                    {
                        ParentTraceContext = Telemetry.Context,
                    };
                    return new OutboxMessage(
                        DispatchQueue.Control,
                        new TaskMessage(MessageIds.ForTask(instanceId, executionId, sub.Id, "suborchestration"), sub.InstanceId, childExecutionId, start),
                        null);
                default:
                    throw new InvalidOperationException($"Unknown action {action}.");
            }
        }

        private InstanceState Complete(InstanceState state, OrchestrationCompletion completion)
        {
            if (completion.Status == OrchestrationRuntimeStatus.ContinuedAsNew)
            {
                var kind = "continueasnew";
                var executionId = DeterministicGuid.CreateId(MessageIds.ForExecution(state.InstanceId, state.ExecutionId, kind));
                var start = new ExecutionStartedEvent(-1, now, state.Name, state.Version, completion.Output, executionId, state.Parent) { ParentTraceContext = Telemetry.Context };
                _outbox.Add(new OutboxMessage(
                    DispatchQueue.Control,
                    new TaskMessage(MessageIds.ForExecution(state.InstanceId, state.ExecutionId, kind), state.InstanceId, executionId, start),
                    null));

                // The new execution starts with an empty history: that is what keeps eternal orchestrations bounded.
                return state with
                {
                    ExecutionId = executionId,
                    Status = OrchestrationRuntimeStatus.ContinuedAsNew,
                    Input = completion.Output,
                    History = [],
                    Inbox = [.. completion.CarryOverEvents],
                };
            }

            if (completion.FailureDetails is { ErrorType: var type } details && type == typeof(NonDeterministicOrchestrationException).FullName)
            {
                Log.NonDeterminism(owner._logger, state.InstanceId, state.Name, details.ErrorMessage);
            }

            Log.OrchestrationFinished(owner._logger, state.InstanceId, state.Name, completion.Status);
            Telemetry.Finished(completion.Status, completion.FailureDetails);
            var completed = new ExecutionCompletedEvent(-1, now, completion.Status, completion.Output, completion.FailureDetails);
            if (state.Parent is { } parent)
            {
                HistoryEvent outcome = completion.Status == OrchestrationRuntimeStatus.Completed
                    ? new SubOrchestrationInstanceCompletedEvent(-1, now, parent.TaskScheduledId, completion.Output)
                    : new SubOrchestrationInstanceFailedEvent(-1, now, parent.TaskScheduledId, completion.FailureDetails!);
                _outbox.Add(ToParent(parent, state.InstanceId, state.ExecutionId, "completion", outcome));
            }

            return state with
            {
                Status = completion.Status,
                Output = completion.Output,
                FailureDetails = completion.FailureDetails,
                History = [.. state.History, completed],
                Inbox = [],
            };
        }

        private InstanceState Terminate(InstanceState state, ExecutionTerminatedEvent terminated)
        {
            var output = owner._converter.Serialize(terminated.Reason);
            Log.OrchestrationFinished(owner._logger, state.InstanceId, state.Name, OrchestrationRuntimeStatus.Terminated);
            Telemetry.Finished(OrchestrationRuntimeStatus.Terminated, null);
            if (state.Parent is { } parent)
            {
                var details = new TaskFailureDetails("Terminated", $"Sub-orchestration '{state.InstanceId}' was terminated: {terminated.Reason}", null, null);
                _outbox.Add(ToParent(parent, state.InstanceId, state.ExecutionId, "completion", new SubOrchestrationInstanceFailedEvent(-1, now, parent.TaskScheduledId, details)));
            }

            return state with
            {
                Status = OrchestrationRuntimeStatus.Terminated,
                Output = output,
                History = [.. state.History, terminated, new ExecutionCompletedEvent(-1, now, OrchestrationRuntimeStatus.Terminated, output, null)],
                Inbox = [],
            };
        }

        private static OutboxMessage ToParent(ParentInstance parent, string instanceId, string executionId, string kind, HistoryEvent outcome) =>
            new(DispatchQueue.Control, new TaskMessage(MessageIds.ForExecution(instanceId, executionId, kind), parent.InstanceId, parent.ExecutionId, outcome), null);
    }
}
