using System.Collections.Concurrent;

namespace EcosystemFlows.Durable.Engine;

/// <summary>
/// Runs orchestrator continuations one at a time on the executor's thread: every <c>await</c> in
/// orchestrator code posts here, and the executor drains the queue after delivering each history
/// event. This makes the interleaving of continuations depend on history order only.
/// </summary>
internal sealed class OrchestrationSynchronizationContext : SynchronizationContext
{
    // Concurrent only to survive misuse (code escaping to the thread pool); normal use is single-threaded.
    private readonly ConcurrentQueue<(SendOrPostCallback Callback, object? State)> _work = new();

    public override void Post(SendOrPostCallback d, object? state) => _work.Enqueue((d, state));

    public override void Send(SendOrPostCallback d, object? state) =>
        throw new NotSupportedException("Synchronous dispatch is not supported in orchestrations.");

    public override SynchronizationContext CreateCopy() => this;

    /// <summary>Runs queued continuations, including those they queue, until none is left.</summary>
    public void RunPending()
    {
        while (_work.TryDequeue(out var item))
        {
            item.Callback(item.State);
        }
    }
}
