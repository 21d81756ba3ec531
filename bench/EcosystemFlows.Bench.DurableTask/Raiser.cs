using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace EcosystemFlows.Bench.DurableTask;

/// <summary>
/// A second process of this benchmark that only raises events (a client, no worker), like an API instance next to
/// the worker: the parent writes <c>raise INSTANCE EVENT VALUE</c> lines, the child answers <c>raised TICKS</c>
/// with the wall-clock instant (UTC ticks) just before its raise call.
/// </summary>
internal sealed class Raiser : IAsyncDisposable
{
    private readonly Process _process;

    private Raiser(Process process) => _process = process;

    /// <summary>Starts the child with the same task-hub settings as the worker's (partition count decides the control queue).</summary>
    public static async Task<Raiser> StartAsync(IReadOnlyDictionary<string, string?> settings, string storageConnectionString, string directory)
    {
        Directory.CreateDirectory(directory);
        var file = Path.Combine(directory, $"raiser-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(new RaiserSettings(settings.ToDictionary(), storageConnectionString)));
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
        {
            start.ArgumentList.Add(typeof(Raiser).Assembly.Location);
        }

        start.ArgumentList.Add("--raiser");
        start.ArgumentList.Add(file);
        var process = Process.Start(start)!;
        var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(1));
        File.Delete(file);
        return line == "ready" ? new Raiser(process) : throw new InvalidOperationException($"The event-raising process did not start (said '{line}').");
    }

    /// <summary>Has the child raise the event; returns the instant it started the call.</summary>
    public async Task<DateTime> RaiseAsync(string instanceId, string eventName, int value)
    {
        await _process.StandardInput.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"raise {instanceId} {eventName} {value}"));
        await _process.StandardInput.FlushAsync();
        var line = await _process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(1))
            ?? throw new InvalidOperationException("The event-raising process ended.");
        return line.StartsWith("raised ", StringComparison.Ordinal)
            ? new DateTime(long.Parse(line["raised ".Length..], CultureInfo.InvariantCulture), DateTimeKind.Utc)
            : throw new InvalidOperationException($"The event-raising process said '{line}'.");
    }

    public async ValueTask DisposeAsync()
    {
        // End of input is the child's signal to stop.
        _process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill();
        }

        _process.Dispose();
    }

    /// <summary>The child's side: a client on the hub, raising what it is told until its input ends.</summary>
    public static async Task<int> RunChildAsync(string settingsFile)
    {
        var settings = JsonSerializer.Deserialize<RaiserSettings>(await File.ReadAllTextAsync(settingsFile))!;
        await using var host = await BenchHost.StartAsync(settings.Settings, settings.StorageConnectionString, startWorker: false);
        Console.WriteLine("ready");
        while (await Console.In.ReadLineAsync() is { } line)
        {
            var parts = line.Split(' ');
            if (parts is not ["raise", var instanceId, var eventName, var value])
            {
                Console.WriteLine($"unknown command: {line}");
                continue;
            }

            var at = DateTime.UtcNow;
            await host.Client.RaiseEventAsync(instanceId, eventName, int.Parse(value, CultureInfo.InvariantCulture));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"raised {at.Ticks}"));
        }

        return 0;
    }

    private sealed record RaiserSettings(Dictionary<string, string?> Settings, string StorageConnectionString);
}
