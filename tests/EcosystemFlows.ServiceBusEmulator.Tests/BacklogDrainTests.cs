using Azure.Messaging.ServiceBus;

namespace EcosystemFlows.ServiceBusEmulator.Tests;

/// <summary>
/// A topic with a backlog of thousands of messages per subscription (what the fault suite reads at its end), drained
/// the way the suite drains (batches of 500, peek-lock, complete each): every subscription yields every copy.
/// </summary>
public sealed class BacklogDrainTests
{
    private const int Messages = 3000;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TopicBacklog_DrainedInBatches_EverySubscriptionYieldsEveryMessage(bool killAndRestart)
    {
        await using var emulator = await EmulatorProcess.StartAsync();
        var client = new ServiceBusClient(emulator.ConnectionString);
        try
        {
            await using (var sender = client.CreateSender("backlog-topic"))
            {
                for (var i = 0; i < Messages; i += 100)
                {
                    await sender.SendMessagesAsync(Enumerable.Range(i, 100).Select(n => new ServiceBusMessage($"m{n:00000}") { MessageId = $"m{n:00000}" }));
                }
            }

            if (killAndRestart)
            {
                await client.DisposeAsync();
                emulator.Kill();
                await emulator.RestartAsync();
                client = new ServiceBusClient(emulator.ConnectionString);
            }

            foreach (var subscription in new[] { "audit", "e2e" })
            {
                var received = new HashSet<string>();
                await using (var receiver = client.CreateReceiver("backlog-topic", subscription))
                {
                    while (await receiver.ReceiveMessagesAsync(500, TimeSpan.FromSeconds(3)) is { Count: > 0 } batch)
                    {
                        foreach (var message in batch)
                        {
                            received.Add(message.MessageId);
                            await receiver.CompleteMessageAsync(message);
                        }
                    }
                }

                var missing = Enumerable.Range(0, Messages).Select(n => $"m{n:00000}").Where(id => !received.Contains(id)).ToList();
                Assert.True(missing.Count == 0, $"{subscription}: {missing.Count} of {Messages} never received, e.g. {string.Join(", ", missing.Take(10))}");
            }
        }
        finally
        {
            await client.DisposeAsync();
        }
    }
}
