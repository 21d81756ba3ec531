using EcosystemFlows.Durable.History;

namespace EcosystemFlows.Durable.Ports;

/// <summary>The two logical queues of a task hub.</summary>
public enum DispatchQueue
{
    /// <summary>Messages to orchestration instances (starts, results, timers, events, control operations).</summary>
    Control,

    /// <summary>Activity work items.</summary>
    WorkItem,
}

/// <summary>
/// A message carrying one history event to an instance (control queue) or an activity call
/// (<see cref="TaskScheduledEvent"/> on the work-item queue). Ids produced by the runtime are deterministic
/// (instance id, execution id, task id and kind), so re-sending after a crash yields the same id and
/// the receiving instance discards the duplicate.
/// </summary>
/// <param name="Id">Unique, deterministic message id.</param>
/// <param name="InstanceId">Target instance (or, for work items, the calling instance).</param>
/// <param name="ExecutionId">Target execution; null for messages valid for any execution (external events, control operations).</param>
/// <param name="Event">The history event to apply.</param>
public sealed record TaskMessage(string Id, string InstanceId, string? ExecutionId, HistoryEvent Event)
{
    /// <summary>
    /// When the message became available to receivers (sent, or its visibility delay ended); stamped on every
    /// send so the receiver can measure the queue wait. Null in messages written before it existed.
    /// </summary>
    public DateTimeOffset? EnqueuedAt { get; init; }
}

/// <summary>A received, leased (invisible) message.</summary>
/// <param name="Message">The message.</param>
/// <param name="Queue">The queue it came from.</param>
/// <param name="LeaseId">Opaque receipt (pop receipt, lock token) needed to settle it.</param>
/// <param name="DequeueCount">How many times it has been received, this time included.</param>
public sealed record MessageLease(TaskMessage Message, DispatchQueue Queue, string LeaseId, int DequeueCount);

/// <summary>
/// Port to the message transport: at-least-once, unordered, competing consumers. Implementations:
/// <c>InMemoryDispatcher</c> (part 1) and Azure Storage queues (part 2, #4). A message is deleted
/// (<see cref="CompleteAsync"/>) only after its effect is committed; an unsettled lease expires and the
/// message is received again.
/// </summary>
public interface IMessageDispatcher
{
    /// <summary>
    /// Longest visibility delay the transport supports (Storage queues: 7 days), or null for unlimited.
    /// Longer timers are sent with the maximum delay and re-sent by the worker when received early.
    /// </summary>
    TimeSpan? MaximumDelay { get; }

    /// <summary>Sends a message, visible from <paramref name="visibleAt"/> (null: now).</summary>
    Task SendAsync(DispatchQueue queue, TaskMessage message, DateTimeOffset? visibleAt, CancellationToken cancellationToken);

    /// <summary>
    /// Stores a message this process already holds and runs (a work item started before its episode was
    /// committed): invisible for <paramref name="visibilityTimeout"/>, exactly as if this process had received
    /// it, so nobody else runs it while it is held; the returned lease settles it. If the process dies, the
    /// message reappears when the lease expires.
    /// </summary>
    Task<MessageLease> SendLeasedAsync(DispatchQueue queue, TaskMessage message, TimeSpan visibilityTimeout, CancellationToken cancellationToken);

    /// <summary>
    /// Receives one visible message and hides it for <paramref name="visibilityTimeout"/>; may wait briefly
    /// (long poll) and returns null when nothing is available.
    /// </summary>
    Task<MessageLease?> ReceiveAsync(DispatchQueue queue, TimeSpan visibilityTimeout, CancellationToken cancellationToken);

    /// <summary>
    /// Extends a lease this process holds: the message stays invisible for <paramref name="visibilityTimeout"/> from
    /// now (not added to what is left). Valid on a lease from <see cref="ReceiveAsync"/> or <see cref="SendLeasedAsync"/>,
    /// including copies made with <c>lease with { Message = ... }</c>: the <see cref="MessageLease.LeaseId"/> stays
    /// valid after a renewal, and settling with the original lease object settles the message. Renewing one part of a
    /// queue message that carries several task messages renews the whole queue message. A lease whose time ran out
    /// may still be renewed as long as nobody received the message since (as Azure Storage queues allow).
    /// </summary>
    /// <returns>
    /// True when the message is hidden for <paramref name="visibilityTimeout"/> more; false when the lease is lost: it
    /// was settled (completed, abandoned, poisoned), or it expired and the message was received again (by anyone).
    /// A lost lease stays lost; settling it does nothing harmful. A transport failure throws (the lease may be intact).
    /// </returns>
    Task<bool> RenewAsync(MessageLease lease, TimeSpan visibilityTimeout, CancellationToken cancellationToken);

    /// <summary>Deletes a received message; a lease that expired meanwhile is ignored.</summary>
    Task CompleteAsync(MessageLease lease, CancellationToken cancellationToken);

    /// <summary>Makes a received message visible again at once.</summary>
    Task AbandonAsync(MessageLease lease, CancellationToken cancellationToken);

    /// <summary>Moves a message to the poison store with <paramref name="reason"/> and deletes it from its queue.</summary>
    Task PoisonAsync(MessageLease lease, string reason, CancellationToken cancellationToken);
}
