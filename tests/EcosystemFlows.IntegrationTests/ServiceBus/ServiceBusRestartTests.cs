using System.Diagnostics;
using System.Text;
using EcosystemFlows.Azure.ServiceBus;

namespace EcosystemFlows.IntegrationTests.ServiceBus;

/// <summary>The adapter across a broker crash (kill -9) and restart; runs alone.</summary>
[Collection(ServiceRestartsCollection.Name)]
public sealed class ServiceBusRestartTests
{
    /// <summary>Predeclared durable (a queue declared on the fly might not survive the restart).</summary>
    private const string Queue = "integration-tests";

    [Fact]
    public async Task Process_BrokerKilledMidStream_ReconnectsAndLosesNoDurableMessage()
    {
        const int BeforeCrash = 2000;
        const int AfterCrash = 500;
        var prefix = $"restart-{Guid.NewGuid():N}-";
        await using var connection = ServiceBusTestBroker.Connect(options => options.MaxConcurrentCalls = 4);
        var log = new HandledLog();
        await using var processor = new ServiceBusProcessor(connection, ServiceBusEntity.Queue(Queue), async (message, token) =>
        {
            if (message.MessageId?.StartsWith(prefix, StringComparison.Ordinal) != true)
            {
                return; // a leftover of an earlier run: complete it
            }

            await Task.Delay(5, token);
            log.Record(message);
        });
        await processor.StartAsync();
        var sender = new ServiceBusSender(connection);
        await Parallel.ForEachAsync(Enumerable.Range(0, BeforeCrash), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, token) =>
            await sender.SendToQueueAsync(Queue, new ServiceBusMessage(Encoding.UTF8.GetBytes($"{i}")) { MessageId = $"{prefix}{i}" }, token));
        await ServiceBusTestBroker.WaitUntilAsync(() => log.Counts.Count >= 200, because: "some handled before the crash");

        // Act: kill the broker mid-stream (messages in flight and prefetched), then start it again.
        var handledAtCrash = log.Counts.Count;
        await KillBrokerAsync();
        await RunServicesAsync("start");
        // The same sender keeps working: it reconnects by itself (retrying until the broker is back).
        await Parallel.ForEachAsync(Enumerable.Range(BeforeCrash, AfterCrash), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, token) =>
            await sender.SendToQueueAsync(Queue, new ServiceBusMessage(Encoding.UTF8.GetBytes($"{i}")) { MessageId = $"{prefix}{i}" }, token));
        await ServiceBusTestBroker.WaitUntilAsync(() => log.Counts.Count >= BeforeCrash + AfterCrash, TimeSpan.FromSeconds(45), "every message handled after the restart");
        await processor.StopAsync();

        // Assert
        Assert.True(handledAtCrash < BeforeCrash, "the crash should happen mid-stream");
        Assert.True(connection.OpenedCount >= 2, $"the client should have reconnected (opened {connection.OpenedCount} times)");
        var missing = Enumerable.Range(0, BeforeCrash + AfterCrash).Select(i => $"{prefix}{i}").Where(id => !log.Counts.ContainsKey(id)).ToList();
        Assert.Empty(missing);
        // Messages handled but not yet acknowledged when the broker died come again (at least once).
        var redelivered = log.Counts.Count(pair => pair.Value > 1);
        Console.WriteLine($"restart test: handled {handledAtCrash} before the crash, {redelivered} delivered twice, {connection.OpenedCount} connections");
    }

    /// <summary>
    /// kill -9 of the broker: the pid file names the rabbitmq-server wrapper script, whose child is the
    /// Erlang VM (beam) that holds the queues; kill that, then let the wrapper exit on its own.
    /// </summary>
    private static async Task KillBrokerAsync()
    {
        var pidFile = Path.Combine(LocalServices.RepositoryRoot, ".local", "run", "rabbitmq.pid");
        var pid = int.Parse((await File.ReadAllTextAsync(pidFile)).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        var children = (await File.ReadAllTextAsync($"/proc/{pid}/task/{pid}/children"))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(child => int.Parse(child, System.Globalization.CultureInfo.InvariantCulture))
            .ToList();
        foreach (var child in children)
        {
            using var beam = Process.GetProcessById(child);
            beam.Kill();
            await beam.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }

        using var wrapper = Process.GetProcessById(pid);
        await wrapper.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }

    private static async Task RunServicesAsync(string action)
    {
        var script = Path.Combine(LocalServices.RepositoryRoot, "eng", "services.sh");
        using var process = Process.Start(new ProcessStartInfo(script, [action, "rabbitmq"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = LocalServices.RepositoryRoot,
        }) ?? throw new InvalidOperationException($"could not start {script}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        Assert.True(process.ExitCode == 0, $"eng/services.sh {action} rabbitmq exited with {process.ExitCode}:\n{await stdout}\n{await stderr}");
    }
}
