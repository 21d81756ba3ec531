using EcosystemFlows.Durable.Ports;

namespace EcosystemFlows.Durable.Tests;

/// <summary>
/// A dispatcher whose transport goes down on command, as a killed queue service: while <see cref="Down"/> every
/// send, renewal and settlement throws and receives find nothing; what happened before stays.
/// </summary>
internal sealed class FlakyDispatcher(IMessageDispatcher inner) : IMessageDispatcher
{
    private int _down;
    private int _failures;
    private int _workItemSendsToFail;

    public bool Down
    {
        get => Volatile.Read(ref _down) == 1;
        set => Volatile.Write(ref _down, value ? 1 : 0);
    }

    /// <summary>
    /// While true, an abandoned message is deleted instead of made visible again, as the result of an activity that
    /// ran before its work item was stored, when that store failed: there is nothing in the queue to bring back.
    /// </summary>
    public bool AbandonedAreLost { get; set; }

    /// <summary>The next work-item sends that fail (then the transport is up again).</summary>
    public int WorkItemSendsToFail
    {
        get => Volatile.Read(ref _workItemSendsToFail);
        set => Volatile.Write(ref _workItemSendsToFail, value);
    }

    /// <summary>Awaited before each work-item send: a slow store of chosen work items (their send still in flight).</summary>
    public Func<TaskMessage, Task>? BeforeWorkItemSend { get; set; }

    /// <summary>The next moves to the poison store that fail (the store cannot be reached; the queue can).</summary>
    public int PoisonsToFail { get; set; }

    /// <summary>Moves to the poison store attempted, failed ones included.</summary>
    public int PoisonAttempts { get; private set; }

    /// <summary>Calls refused while down.</summary>
    public int Failures => Volatile.Read(ref _failures);

    public TimeSpan? MaximumDelay => inner.MaximumDelay;

    public async Task SendAsync(DispatchQueue queue, TaskMessage message, DateTimeOffset? visibleAt, CancellationToken cancellationToken)
    {
        await Reachable();
        if (queue == DispatchQueue.WorkItem && BeforeWorkItemSend is { } gate)
        {
            await gate(message);
        }

        if (queue == DispatchQueue.WorkItem && Interlocked.Decrement(ref _workItemSendsToFail) >= 0)
        {
            Interlocked.Increment(ref _failures);
            throw new IOException("The work item could not be stored (injected).");
        }

        await inner.SendAsync(queue, message, visibleAt, cancellationToken);
    }

    public async Task<MessageLease> SendLeasedAsync(DispatchQueue queue, TaskMessage message, TimeSpan visibilityTimeout, CancellationToken cancellationToken)
    {
        await Reachable();
        return await inner.SendLeasedAsync(queue, message, visibilityTimeout, cancellationToken);
    }

    public async Task<MessageLease?> ReceiveAsync(DispatchQueue queue, TimeSpan visibilityTimeout, CancellationToken cancellationToken)
    {
        if (Down)
        {
            // The real transports' pumps swallow the failure and poll again later.
            await Task.Delay(5, cancellationToken);
            return null;
        }

        return await inner.ReceiveAsync(queue, visibilityTimeout, cancellationToken);
    }

    public async Task<bool> RenewAsync(MessageLease lease, TimeSpan visibilityTimeout, CancellationToken cancellationToken)
    {
        await Reachable();
        return await inner.RenewAsync(lease, visibilityTimeout, cancellationToken);
    }

    public async Task CompleteAsync(MessageLease lease, CancellationToken cancellationToken)
    {
        await Reachable();
        await inner.CompleteAsync(lease, cancellationToken);
    }

    public async Task AbandonAsync(MessageLease lease, CancellationToken cancellationToken)
    {
        await Reachable();
        await (AbandonedAreLost ? inner.CompleteAsync(lease, cancellationToken) : inner.AbandonAsync(lease, cancellationToken));
    }

    public async Task PoisonAsync(MessageLease lease, string reason, CancellationToken cancellationToken)
    {
        await Reachable();
        PoisonAttempts++;
        if (PoisonsToFail > 0)
        {
            PoisonsToFail--;
            Interlocked.Increment(ref _failures);
            throw new IOException("The poison store cannot be reached (injected).");
        }

        await inner.PoisonAsync(lease, reason, cancellationToken);
    }

    private async Task Reachable()
    {
        // A round trip's worth of latency, so outages start and end between the steps of an operation too.
        await Task.Yield();
        if (Down)
        {
            Interlocked.Increment(ref _failures);
            throw new IOException("The queue service cannot be reached (injected).");
        }
    }
}
