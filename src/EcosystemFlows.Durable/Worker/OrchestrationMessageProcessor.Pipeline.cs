using EcosystemFlows.Durable.History;
using EcosystemFlows.Durable.Ports;

namespace EcosystemFlows.Durable.Worker;

/// <summary>
/// Step pipelining (<see cref="DurableTaskOptions.PipelineSteps"/>). An instance this worker has in memory runs its
/// next episode on the state the previous one produced, committed or not; one committer per instance writes the
/// latest state with one ETag-guarded replace covering every episode since the last write, then sends what those
/// episodes produced. A step's triggering messages are settled only after that (the returned task), so a crash
/// anywhere leaves them in the queue and the instance converges from storage as without pipelining.
/// </summary>
internal sealed partial class OrchestrationMessageProcessor
{
    private readonly Lock _pipelinesGate = new();
    private readonly Dictionary<string, Pipeline> _pipelines = new(StringComparer.Ordinal);

    /// <summary>
    /// Applies messages of ONE instance as a pipelined step, or returns null when the step cannot be pipelined here
    /// (the instance is not in this worker's memory, a start or an early timer is among the messages, or the
    /// instance's uncommitted steps were just lost): the caller then waits for <see cref="WhenDrainedAsync"/> and
    /// commits with <see cref="CommitBatchAsync"/>. <paramref name="runHere"/> is offered each work item the step
    /// schedules and returns true when it started it in this worker.
    /// </summary>
    public PipelinedStep? TryPipeline(IReadOnlyList<PipelinedMessage> items, Func<HeldWorkItem, bool> runHere, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow().UtcDateTime;
        if (!_options.PipelineSteps || items.Count == 0 || items.Any(i => i.Message.Event is ExecutionStartedEvent || (i.Message.Event is TimerFiredEvent fired && fired.FireAt > now)))
        {
            return null;
        }

        var instanceId = items[0].Message.InstanceId;
        Pipeline pipeline;
        InstanceState latest;
        List<TaskMessage> dropped;
        List<PipelinedMessage> live;
        lock (_pipelinesGate)
        {
            // Results of work items whose scheduling step was lost must not be applied: the step runs again and schedules them anew.
            dropped = [.. items.Where(i => i.Origin is { IsVoid: true }).Select(i => i.Message)];
            live = [.. items.Where(i => i.Origin is not { IsVoid: true })];
            if (live.Count == 0)
            {
                return new PipelinedStep(Task.CompletedTask, dropped);
            }

            if (!_pipelines.TryGetValue(instanceId, out pipeline!))
            {
                if (!_cache.TryGet(instanceId, out var cached) || cached!.AnySendFailed)
                {
                    return null;
                }

                _cache.Remove(instanceId);
                pipeline = new Pipeline(instanceId, cached.Stored, cached.Sends);
                _pipelines[instanceId] = pipeline;
            }

            // Lost steps, or a send that failed: the caller drains and commits on the stored state, which re-sends.
            if (pipeline.Latest is not { } state || new CachedInstance(pipeline.Committed, pipeline.Sends).AnySendFailed)
            {
                return Unpipelined(pipeline);
            }

            latest = state;
        }

        var episode = new Episode(this, [.. live.Select(i => i.Message)], now);
        InstanceState? next;
        try
        {
            next = episode.Run(latest);
        }
        catch
        {
            // The caller commits the messages the regular way, which needs the instance back in the cache.
            lock (_pipelinesGate)
            {
                Unpipelined(pipeline);
            }

            throw;
        }

        var held = new List<HeldWorkItem>();
        foreach (var outgoing in next?.Outbox ?? [])
        {
            if (outgoing is { Queue: DispatchQueue.WorkItem, VisibleAt: null } && new HeldWorkItem(outgoing.Message) is var candidate && runHere(candidate))
            {
                held.Add(candidate);
            }
        }

        lock (_pipelinesGate)
        {
            if (!ReferenceEquals(pipeline.Latest, latest))
            {
                // The committer lost the uncommitted steps meanwhile: this one was built on them.
                held.ForEach(h => h.MarkVoid());
                return null;
            }

            if (pipeline.Retired)
            {
                // Its committer finished while this episode ran, on the same state: take it back from the cache.
                (pipeline.Retired, _pipelines[instanceId]) = (false, pipeline);
                _cache.Remove(instanceId);
            }

            foreach (var item in live)
            {
                if (item.Origin is { } origin)
                {
                    pipeline.Held.Remove(origin);
                }
            }

            if (next is null)
            {
                // Decided on uncommitted state: final once that state is committed, so the messages ride along with the
                // last pending step, settle with it, and are applied again with it if it is lost.
                if (pipeline.LastPending is not { } last)
                {
                    return Unpipelined(pipeline);
                }

                last.Riders.AddRange(live);
                return new PipelinedStep(last.Committed.Task.Unwrap(), dropped);
            }

            var pending = new PendingEpisode(live, next.Outbox, held, episode, next);
            pipeline.Latest = next with { Outbox = [] };
            pipeline.Open.Add(pending);
            pipeline.Held.AddRange(held);
            if (pipeline.Committer is null)
            {
                pipeline.Committer = Task.Run(() => CommitLoopAsync(pipeline, cancellationToken), CancellationToken.None);
            }

            return new PipelinedStep(pending.Committed.Task.Unwrap(), dropped);
        }
    }

    /// <summary>Completes once the instance has no uncommitted pipelined step in this worker.</summary>
    public async Task WhenDrainedAsync(string instanceId)
    {
        while (true)
        {
            Task? committer;
            lock (_pipelinesGate)
            {
                committer = _pipelines.TryGetValue(instanceId, out var pipeline) ? pipeline.Committer : null;
            }

            if (committer is null)
            {
                return;
            }

            await committer.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>Writes the latest state while episodes keep coming, then hands the instance back to the cache.</summary>
    private async Task CommitLoopAsync(Pipeline pipeline, CancellationToken cancellationToken)
    {
        while (true)
        {
            List<PendingEpisode> group;
            InstanceState state;
            StoredInstance committed;
            lock (_pipelinesGate)
            {
                if (pipeline.Open.Count == 0)
                {
                    Retire(pipeline);
                    return;
                }

                (group, pipeline.Open, state, committed) = (pipeline.Open, [], pipeline.Latest!, pipeline.Committed);
                pipeline.InFlight = group[^1];
            }

            try
            {
                await CommitGroupAsync(pipeline, group, state, committed, cancellationToken).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // Whatever failed, the steps are lost and their messages must come back.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                await LoseAsync(pipeline, group, ex, cancellationToken).ConfigureAwait(false);
                return;
            }

            if (pipeline.Latest is null)
            {
                return;
            }
        }
    }

    /// <summary>Writes one group; on a conflict its steps are lost (and re-applied).</summary>
    private async Task CommitGroupAsync(Pipeline pipeline, List<PendingEpisode> group, InstanceState state, StoredInstance committed, CancellationToken cancellationToken)
    {
        // Everything not known to be sent stays in the document: earlier sends still running, and this group's
        // messages unless the history already holds their result (a work item scheduled and completed within it).
        var unconfirmed = new CachedInstance(committed, pipeline.Sends).Unconfirmed;
        var produced = group.SelectMany(e => e.Outbox).ToList();
        var written = Unresolved(state with { Outbox = [.. unconfirmed, .. produced] }, []);
        var etag = await store.TryReplaceAsync(state with { Outbox = written }, committed.ETag, cancellationToken).ConfigureAwait(false);
        if (etag is null)
        {
            Log.CommitConflict(_logger, pipeline.InstanceId, 1);
            await LoseAsync(pipeline, group, null, cancellationToken).ConfigureAwait(false);
            return;
        }

        foreach (var episode in group)
        {
            episode.Episode.Telemetry.Committed(episode.State);
            Log.EpisodeCommitted(_logger, pipeline.InstanceId, state.Name, episode.Messages[0].Message.Id, episode.State.Status, episode.Episode.ActionCount);
        }

        var unsent = written.ToHashSet(ReferenceEqualityComparer.Instance);
        var toSend = produced.Where(unsent.Contains).ToList();
        var sending = new OutboxSend(toSend, SendCommittedAsync(toSend, [.. group.SelectMany(e => e.Held)], cancellationToken));
        Task settled;
        lock (_pipelinesGate)
        {
            pipeline.Committed = new StoredInstance(state with { Outbox = [] }, etag);
            pipeline.Sends = new CachedInstance(committed, pipeline.Sends).Pending(sending);
            pipeline.InFlight = null;

            // After the earlier commits' sends too: a message of this group (or a rider) may be a duplicate of one they applied.
            settled = AllSent(pipeline.Sends);
        }

        group.ForEach(e => e.Committed.TrySetResult(settled));
    }

    /// <summary>Sends a committed group's messages: work items running here are stored held by this worker, unless already resolved.</summary>
    private async Task SendCommittedAsync(List<OutboxMessage> messages, List<HeldWorkItem> held, CancellationToken cancellationToken)
    {
        var heldById = held.ToDictionary(h => h.Message.Id, StringComparer.Ordinal);
        var storing = new List<Task>();
        foreach (var message in messages)
        {
            if (heldById.Remove(message.Message.Id, out var running))
            {
                storing.Add(StoreHeldAsync(running, cancellationToken));
            }
        }

        // What remains was resolved before the commit: never stored, nothing to settle.
        foreach (var resolved in heldById.Values)
        {
            resolved.Resolve(null);
        }

        var others = messages.Where(m => !held.Exists(h => h.Message.Id == m.Message.Id)).ToList();
        if (others.Count > 0)
        {
            storing.Add(SendAsync(others, cancellationToken));
        }

        await Task.WhenAll(storing).ConfigureAwait(false);
    }

    private async Task StoreHeldAsync(HeldWorkItem held, CancellationToken cancellationToken)
    {
        try
        {
            held.Resolve(await dispatcher.SendLeasedAsync(DispatchQueue.WorkItem, held.Message, _options.VisibilityTimeout, cancellationToken).ConfigureAwait(false));
        }
        catch
        {
            held.Resolve(null);
            throw;
        }
    }

    /// <summary>
    /// The write of <paramref name="group"/> failed: it and every step built on it are lost, and so are the work items
    /// they started. After a conflict (another worker committed), their queue messages are applied again at once on
    /// the stored state, so contention does not burn dequeue counts; then every lost step's messages are settled:
    /// deleted when that re-application committed them, otherwise made visible again.
    /// </summary>
    private async Task LoseAsync(Pipeline pipeline, List<PendingEpisode> group, Exception? failure, CancellationToken cancellationToken)
    {
        List<PendingEpisode> lost;
        lock (_pipelinesGate)
        {
            (lost, pipeline.Open, pipeline.Latest, pipeline.InFlight) = ([.. group, .. pipeline.Open], [], null, null);

            // Only the lost steps' work items: those of committed steps stand, and their results still apply.
            foreach (var held in lost.SelectMany(e => e.Held))
            {
                held.MarkVoid();
                pipeline.Held.Remove(held);
            }
        }

        try
        {
            Task? reapplied = null;
            if (failure is null)
            {
                var queued = lost.SelectMany(e => e.Applied).Where(Reapplicable).Select(m => m.Message).ToList();
                try
                {
                    reapplied = queued.Count == 0 ? Task.CompletedTask : await CommitBatchAsync(queued, cancellationToken).ConfigureAwait(false);
                }
#pragma warning disable CA1031 // Reported through the lost steps' tasks: their messages come back.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    failure = ex;
                }
            }

            var lostError = new StepLostException(pipeline.InstanceId, failure);
            foreach (var episode in lost)
            {
                if (reapplied is not null && episode.Applied.All(Reapplicable))
                {
                    episode.Committed.TrySetResult(reapplied);
                }
                else
                {
                    episode.Committed.TrySetException(lostError);
                }
            }
        }
        finally
        {
            lock (_pipelinesGate)
            {
                _pipelines.Remove(pipeline.InstanceId);
                pipeline.Committer = null;
            }
        }

        // Queue messages, and results of work items whose scheduling step was committed; not results of lost ones.
        static bool Reapplicable(PipelinedMessage message) => message.Origin is not { IsVoid: true };
    }

    /// <summary>Hands an instance without uncommitted steps back to the cache, for the regular path; returns null for the caller.</summary>
    private PipelinedStep? Unpipelined(Pipeline pipeline)
    {
        if (pipeline.Committer is null && pipeline.Latest is not null)
        {
            Retire(pipeline);
        }

        return null;
    }

    /// <summary>No step left to write: the committed state goes back to the bounded cache and the pipeline ends.</summary>
    private void Retire(Pipeline pipeline)
    {
        _pipelines.Remove(pipeline.InstanceId);
        (pipeline.Committer, pipeline.Retired) = (null, true);
        var committed = pipeline.Committed;
        _cache.Set(pipeline.InstanceId, committed.State.Status.IsTerminal() ? null : new CachedInstance(committed, pipeline.Sends));
    }

    /// <summary>One instance's steps in this worker: the last committed state, the latest state, and what is in between.</summary>
    private sealed class Pipeline(string instanceId, StoredInstance committed, IReadOnlyList<OutboxSend> sends)
    {
        public string InstanceId { get; } = instanceId;

        /// <summary>The last state written (its outbox left empty: this worker sends it) and its ETag.</summary>
        public StoredInstance Committed { get; set; } = committed;

        /// <summary>Sends of recent commits, possibly still running.</summary>
        public IReadOnlyList<OutboxSend> Sends { get; set; } = sends;

        /// <summary>The state after the last episode, committed or not; null once uncommitted steps were lost.</summary>
        public InstanceState? Latest { get; set; } = committed.State;

        /// <summary>Episodes applied to <see cref="Latest"/> that the committer has not picked up yet.</summary>
        public List<PendingEpisode> Open { get; set; } = [];

        /// <summary>Work items started here whose result has not been applied yet.</summary>
        public List<HeldWorkItem> Held { get; } = [];

        public Task? Committer { get; set; }

        /// <summary>Handed back to the cache; an episode that ran meanwhile on the same state takes it back.</summary>
        public bool Retired { get; set; }

        public PendingEpisode? LastPending => Open.Count > 0 ? Open[^1] : InFlight;

        /// <summary>The last episode of the group being written, if any.</summary>
        public PendingEpisode? InFlight { get; set; }
    }

    /// <summary>An applied, not yet committed episode; <see cref="Committed"/> yields its send task once written.</summary>
    private sealed record PendingEpisode(IReadOnlyList<PipelinedMessage> Messages, IReadOnlyList<OutboxMessage> Outbox, IReadOnlyList<HeldWorkItem> Held, Episode Episode, InstanceState State)
    {
        public TaskCompletionSource<Task> Committed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Messages ignored on this step's uncommitted state (duplicates, or for a finished instance): settled with it.</summary>
        public List<PipelinedMessage> Riders { get; } = [];

        /// <summary>Everything this step decided: its messages and its riders.</summary>
        public IEnumerable<PipelinedMessage> Applied => Messages.Concat(Riders);
    }
}

/// <summary>A message for a pipelined step and, for an activity result produced here, the held work item it answers.</summary>
internal sealed record PipelinedMessage(TaskMessage Message, HeldWorkItem? Origin);

/// <summary>
/// A pipelined step: <see cref="Settled"/> succeeds once its commit and that commit's sends succeeded (then its
/// messages may be deleted) and fails when the step was lost (then they must come back); <see cref="Dropped"/> are
/// results of lost work items, not applied.
/// </summary>
internal sealed record PipelinedStep(Task Settled, IReadOnlyList<TaskMessage> Dropped);

/// <summary>A work item started in this worker before the episode that scheduled it was committed.</summary>
internal sealed class HeldWorkItem(TaskMessage message)
{
    private readonly TaskCompletionSource<MessageLease?> _stored = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskMessage Message { get; } = message;

    /// <summary>
    /// The lease of the stored work item, held by this worker, once its step is committed and it was still
    /// unresolved; null when it was never stored (its result was committed first, or its step was lost).
    /// </summary>
    public Task<MessageLease?> Stored => _stored.Task;

    /// <summary>True once the step that scheduled it was lost: its result must not be applied.</summary>
    public bool IsVoid { get; private set; }

    public void Resolve(MessageLease? lease) => _stored.TrySetResult(lease);

    public void MarkVoid()
    {
        IsVoid = true;
        _stored.TrySetResult(null);
    }
}

/// <summary>A pipelined step could not be committed; its messages are redelivered.</summary>
internal sealed class StepLostException(string instanceId, Exception? cause)
    : Exception($"Uncommitted steps of '{instanceId}' were lost ({(cause is null ? "ETag conflict" : cause.Message)}); their messages are redelivered.", cause);
