using Azure.Messaging.ServiceBus;

namespace EcosystemFlows.ServiceBusEmulator.Tests;

/// <summary>
/// kill -9 of the emulator at any moment: every send the SDK saw succeed is still there after a restart, and
/// nothing whose settlement the SDK saw succeed comes back. Each test runs an emulator of its own.
/// </summary>
public sealed class DurabilityTests
{
    private static ServiceBusClient Connect(EmulatorProcess emulator) => new(emulator.ConnectionString, new ServiceBusClientOptions
    {
        RetryOptions = new ServiceBusRetryOptions { TryTimeout = TimeSpan.FromSeconds(5), MaxRetries = 20, Delay = TimeSpan.FromMilliseconds(200), MaxDelay = TimeSpan.FromSeconds(1), Mode = ServiceBusRetryMode.Fixed },
    });

    [Fact]
    public async Task KillDuringSends_Restart_EveryAcknowledgedSendSurvives()
    {
        await using var emulator = await EmulatorProcess.StartAsync();
        await using var client = Connect(emulator);
        await using var sender = client.CreateSender("durable");
        var acknowledged = new List<string>();
        using var stop = new CancellationTokenSource();
        var sending = Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                try
                {
                    await sender.SendMessageAsync(new ServiceBusMessage($"m{i}") { MessageId = $"m{i}" }, stop.Token);
                    lock (acknowledged)
                    {
                        acknowledged.Add($"m{i}");
                    }
                }
                catch (Exception) when (stop.IsCancellationRequested)
                {
                    return;
                }
                catch (ServiceBusException)
                {
                    // The emulator is down: not acknowledged, so free to be lost.
                }
            }
        });

        // Kill while sends flow, and stop once they flow again: waits on acknowledgements, not on fixed delays, which
        // a loaded machine outran (a CI run had no send acknowledged within 700 ms).
        async Task AcknowledgedAsync(int count)
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (Acknowledged() < count && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }
        }

        int Acknowledged()
        {
            lock (acknowledged)
            {
                return acknowledged.Count;
            }
        }

        await AcknowledgedAsync(15);
        emulator.Kill();
        await Task.Delay(300);
        await emulator.RestartAsync();
        await AcknowledgedAsync(Acknowledged() + 15);
        await stop.CancelAsync();
        await sending;

        string[] expected;
        lock (acknowledged)
        {
            expected = [.. acknowledged];
        }

        var stored = await PeekAllAsync(client, "durable");

        Assert.True(expected.Length > 20, $"only {expected.Length} sends were acknowledged");
        var lost = expected.Where(id => !stored.Contains(id)).ToList();
        Assert.True(lost.Count == 0, $"acknowledged but lost: {string.Join(", ", lost)}; {expected.Length} acknowledged, "
            + $"stored: {string.Join(", ", stored.OrderBy(id => int.Parse(id[1..], System.Globalization.CultureInfo.InvariantCulture)))}\nemulator output:\n{emulator.Output}");
    }

    [Fact]
    public async Task KillDuringCompletions_Restart_NothingCompletedComesBack_NothingElseIsLost()
    {
        await using var emulator = await EmulatorProcess.StartAsync();
        await using var client = Connect(emulator);
        await using (var sender = client.CreateSender("durable-settle"))
        {
            for (var chunk = 0; chunk < 4; chunk++)
            {
                await sender.SendMessagesAsync(Enumerable.Range(chunk * 100, 100).Select(i => new ServiceBusMessage($"m{i}")));
            }
        }

        var completed = new HashSet<string>();
        var receiver = client.CreateReceiver("durable-settle");
        var killed = false;
        while (completed.Count < 150)
        {
            foreach (var m in await receiver.ReceiveMessagesAsync(20, TimeSpan.FromSeconds(5)))
            {
                try
                {
                    await receiver.CompleteMessageAsync(m);
                    completed.Add(m.Body.ToString());
                }
                catch (ServiceBusException)
                {
                    // Not acknowledged: may come back.
                }

                if (!killed && completed.Count == 100)
                {
                    killed = true;
                    emulator.Kill();
                    await emulator.RestartAsync();
                }
            }
        }

        await receiver.DisposeAsync();
        var remaining = await PeekAllAsync(client, "durable-settle");

        Assert.Empty(completed.Intersect(remaining));
        Assert.True(completed.Count + remaining.Count == 400,
            $"{completed.Count} completed + {remaining.Count} stored != 400; missing: "
            + $"{string.Join(", ", Enumerable.Range(0, 400).Select(i => $"m{i}").Where(id => !completed.Contains(id) && !remaining.Contains(id)))}\nemulator output:\n{emulator.Output}");
    }

    [Fact]
    public async Task KillWithLockedAndDeadLetteredMessages_Restart_LockedAreRedeliveredDeadLetteredStay()
    {
        await using var emulator = await EmulatorProcess.StartAsync();
        await using var client = Connect(emulator);
        await using (var sender = client.CreateSender("durable"))
        {
            await sender.SendMessagesAsync([new ServiceBusMessage("locked"), new ServiceBusMessage("poison")]);
        }

        await using (var receiver = client.CreateReceiver("durable"))
        {
            var messages = await receiver.ReceiveMessagesAsync(2, TimeSpan.FromSeconds(5));
            while (messages.Count < 2)
            {
                messages = [.. messages, .. await receiver.ReceiveMessagesAsync(1, TimeSpan.FromSeconds(5))];
            }

            await receiver.DeadLetterMessageAsync(messages.Single(m => m.Body.ToString() == "poison"), "Poison", "kept across kill");
            emulator.Kill();
        }

        await emulator.RestartAsync();
        await using var again = client.CreateReceiver("durable");
        var redelivered = await again.ReceiveMessageAsync(TimeSpan.FromSeconds(10));
        await using var dlq = client.CreateReceiver("durable", new ServiceBusReceiverOptions { SubQueue = SubQueue.DeadLetter });
        var dead = await dlq.ReceiveMessageAsync(TimeSpan.FromSeconds(10));

        Assert.Equal("locked", redelivered?.Body.ToString());
        Assert.Equal(2, redelivered!.DeliveryCount);
        Assert.Equal(("poison", "Poison"), (dead?.Body.ToString(), dead?.DeadLetterReason));
    }

    /// <summary>
    /// The bodies of every message the queue holds, read by peeking: it neither locks nor removes, and it sees messages
    /// a closed receiver still has locked. Receiving them instead (receive-and-delete until a batch stayed empty) could
    /// miss messages on a loaded machine: those in flight when a batch's wait ended (receive-and-delete removes a
    /// message as it is sent), and those still locked by the closed receiver. Two CI runs failed in those reads.
    /// </summary>
    private static async Task<HashSet<string>> PeekAllAsync(ServiceBusClient client, string queue)
    {
        await using var peeker = client.CreateReceiver(queue);
        var bodies = new HashSet<string>();
        while (await peeker.PeekMessagesAsync(500) is { Count: > 0 } batch)
        {
            bodies.UnionWith(batch.Select(m => m.Body.ToString()));
        }

        return bodies;
    }
}
