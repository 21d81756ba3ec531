using System.ComponentModel.DataAnnotations;

namespace EcosystemFlows.Durable;

/// <summary>
/// Runtime options; bind from host.json's <c>extensions:durableTask</c> section
/// (<c>defaultVersion</c> is the one the app sets).
/// </summary>
public sealed class DurableTaskOptions
{
    /// <summary>Version recorded for new instances that do not specify one.</summary>
    public string DefaultVersion { get; set; } = string.Empty;

    /// <summary>Concurrent orchestration episodes per worker.</summary>
    [Range(1, 256)]
    public int MaxConcurrentOrchestrations { get; set; } = 4;

    /// <summary>Concurrent activity executions per worker.</summary>
    [Range(1, 256)]
    public int MaxConcurrentActivities { get; set; } = 4;

    /// <summary>
    /// Most control messages of one instance applied in one episode (messages that arrived while the instance
    /// was busy). 1 (default) keeps one message per episode, so episode boundaries, and with them recorded
    /// histories, do not depend on timing; a storage backend raises it (<c>UseAzureStorageBackend()</c>: 100)
    /// because every episode costs round trips. Stays well below <see cref="MaxProcessedMessageIds"/>, so a
    /// batch never evicts its own ids.
    /// </summary>
    [Range(1, 200)]
    public int MaxBatchSize { get; set; } = 1;

    /// <summary>
    /// Instances whose last committed state a worker keeps to skip reading it back in the next episode (0: off).
    /// Least recently used ones are dropped, so memory stays bounded however many instances are idle.
    /// </summary>
    [Range(0, 100_000)]
    public int InstanceCacheSize { get; set; } = 1_000;

    /// <summary>
    /// Applies an activity's result on the instance's chain in the worker that ran it, instead of sending it
    /// through the control queue; the work item is deleted only after that commit, so a crash re-runs the
    /// activity. Off by default (results take the queue, as in Durable Task); a storage backend turns it on
    /// (<c>UseAzureStorageBackend()</c>) because it saves a queue send, receive and delete per activity.
    /// </summary>
    public bool DeliverActivityResultsLocally { get; set; }

    /// <summary>
    /// Pipelines an instance's steps (with <see cref="DeliverActivityResultsLocally"/>), as Netherite does by
    /// default: the next episode runs on the state the previous one produced while that state is still being
    /// committed, commits of consecutive episodes coalesce into one write, and a work item runs in this worker at
    /// once when an activity slot is free. Nothing leaves the worker before it is committed: messages to other
    /// instances, timers and the status clients read wait for the commit, and the triggering messages are deleted
    /// only after it. The one thing that runs ahead is an activity, whose input may then come from a step a crash
    /// loses; it re-runs with the recomputed input under the same idempotency key. Off by default; a storage
    /// backend turns it on (<c>UseAzureStorageBackend()</c>), because it takes the commit round trip off the
    /// critical path of a sequence.
    /// </summary>
    public bool PipelineSteps { get; set; }

    /// <summary>Receives after which a message that keeps failing moves to the poison store.</summary>
    [Range(1, 1000)]
    public int MaxDequeueCount { get; set; } = 5;

    /// <summary>
    /// How long a received message stays invisible to other workers without a renewal. The worker renews every lease it
    /// holds (control messages queued, in an episode or awaiting their commit; work items whose activity runs or whose
    /// result waits on its instance; held work items of pipelined steps) once it is a third of this old, checking every
    /// sixth, so a long activity or a slow commit keeps its message however long it takes (up to
    /// <see cref="MaxLeaseRenewal"/>). A process that dies stops renewing: its messages come back after at most this
    /// long, which is therefore what a crash costs the instances in flight. Durable Functions' Azure Storage provider
    /// holds messages for 5 minutes; since nothing here relies on the timeout outlasting the work any more, the default
    /// is 1 minute: a crash parks messages for a fifth of that, for one renewal per held message every 20 seconds. It
    /// still leaves half a minute for a renewal held up by a stalled process or a slow storage call. Hosts that must
    /// recover faster set it lower (the fault suite: seconds).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Longest time the worker keeps renewing one lease. A message held longer is left to expire, so one that a bug never
    /// settles does not stay hidden for good: it comes back, counts a dequeue, and eventually moves to the poison store.
    /// It bounds how long one activity may run without being started a second time elsewhere; the default (1 hour) is
    /// twice the default function timeout of an Azure Functions Premium plan (30 minutes).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan MaxLeaseRenewal { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Reload-and-retry attempts of one episode on ETag conflicts before the message is abandoned.</summary>
    [Range(1, 1000)]
    public int MaxCommitAttempts { get; set; } = 50;

    /// <summary>How many processed message ids an instance remembers for duplicate detection.</summary>
    [Range(16, 100_000)]
    public int MaxProcessedMessageIds { get; set; } = 500;

    /// <summary>Real-time polling interval of <see cref="DurableTaskClient.WaitForInstanceCompletionAsync"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan ClientPollingInterval { get; set; } = TimeSpan.FromMilliseconds(200);
}
