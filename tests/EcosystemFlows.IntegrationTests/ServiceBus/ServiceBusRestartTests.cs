using System.Diagnostics;
using System.Globalization;
using System.Text;
using EcosystemFlows.Azure.ServiceBus;

namespace EcosystemFlows.IntegrationTests.ServiceBus;

/// <summary>The app's SDK sender and processor across an emulator crash (kill -9) and restart; runs alone.</summary>
[Collection(ServiceRestartsCollection.Name)]
public sealed class ServiceBusRestartTests
{
    /// <summary>A queue of Config.json: the emulator knows only the entities of its file.</summary>
    private const string Queue = "integration-tests";

    [Fact]
    public async Task Process_EmulatorKilledMidStream_ReconnectsAndLosesNoAcknowledgedMessage()
    {
        const int BeforeCrash = 2000;
        const int AfterCrash = 500;
        await ServiceBusTestBroker.PurgeAsync(Queue);
        var prefix = ServiceBusTestBroker.RunPrefix("restart");
        var options = ServiceBusTestBroker.Options(o => o.MaxConcurrentCalls = 4);
        await using var client = ServiceBusTestBroker.Client(options);
        var log = new HandledLog();
        await using var processor = ServiceBusTestBroker.Processor(client, ServiceBusEntity.Queue(Queue), async (message, token) =>
        {
            if (message.MessageId?.StartsWith(prefix, StringComparison.Ordinal) != true)
            {
                return; // a leftover of an earlier run: complete it
            }

            await Task.Delay(5, token);
            log.Record(message);
        }, options);
        await processor.StartAsync();
        await using var sender = new ServiceBusSender(client);
        await Parallel.ForEachAsync(Enumerable.Range(0, BeforeCrash), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, token) =>
            await sender.SendToQueueAsync(Queue, new ServiceBusMessage(Encoding.UTF8.GetBytes($"{i}")) { MessageId = $"{prefix}{i}" }, token));
        await ServiceBusTestBroker.WaitUntilAsync(() => log.Counts.Count >= 200, because: "some handled before the crash");

        // Act: kill -9 the emulator mid-stream (messages in flight and prefetched), then start it with the eng script.
        var handledAtCrash = log.Counts.Count;
        await KillEmulatorAsync();
        await ServiceControl.StartAsync("servicebus");
        // The same client and sender keep working: the SDK reconnects by itself (retrying until the emulator is back).
        await Parallel.ForEachAsync(Enumerable.Range(BeforeCrash, AfterCrash), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, token) =>
            await sender.SendToQueueAsync(Queue, new ServiceBusMessage(Encoding.UTF8.GetBytes($"{i}")) { MessageId = $"{prefix}{i}" }, token));
        // Messages locked when the emulator died are available again at once after its restart (locks are not stored).
        await ServiceBusTestBroker.WaitUntilAsync(() => log.Counts.Count >= BeforeCrash + AfterCrash, TimeSpan.FromSeconds(90), "every message handled after the restart");
        await processor.StopAsync();

        // Assert
        Assert.True(handledAtCrash < BeforeCrash, "the crash should happen mid-stream");
        var missing = Enumerable.Range(0, BeforeCrash + AfterCrash).Select(i => $"{prefix}{i}").Where(id => !log.Counts.ContainsKey(id)).ToList();
        Assert.Empty(missing);
        // Messages handled but not yet acknowledged when the emulator died come again (at least once).
        var redelivered = log.Counts.Count(pair => pair.Value > 1);
        Console.WriteLine($"restart test: handled {handledAtCrash} before the crash, {redelivered} delivered twice");
    }

    /// <summary>kill -9 of the emulator process eng/services.sh started (its pid file is under ECOFLOWS_LOCAL_DIR).</summary>
    private static async Task KillEmulatorAsync()
    {
        var pidFile = Path.Combine(LocalServices.LocalDirectory, "run", "servicebus.pid");
        var pid = int.Parse((await File.ReadAllTextAsync(pidFile)).Trim(), CultureInfo.InvariantCulture);
        using var emulator = Process.GetProcessById(pid);
        emulator.Kill(); // SIGKILL on Linux: no shutdown, no final commit
        await emulator.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }
}
