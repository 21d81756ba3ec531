using System.Diagnostics;
using System.Globalization;

namespace EcosystemFlows.Bench.DurableTask;

/// <summary>CPU time of this process and of Azurite (from /proc), and this process's settled RSS.</summary>
internal sealed class ProcessStats(int? azuritePid)
{
    // USER_HZ: the unit of /proc/PID/stat times; 100 on every Linux architecture .NET runs on.
    private const double ClockTicksPerSecond = 100;

    public int? AzuritePid { get; } = azuritePid is { } pid && File.Exists($"/proc/{pid}/stat") ? pid : null;

    public Snapshot Take()
    {
        using var self = Process.GetCurrentProcess();
        return new Snapshot(Stopwatch.GetTimestamp(), self.TotalProcessorTime.TotalSeconds, AzuriteCpuSeconds());
    }

    /// <summary>RSS after compacting collections, so freed heap is returned and what remains is what is held.</summary>
    public static double SettledRssMb()
    {
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        using var self = Process.GetCurrentProcess();
        return self.WorkingSet64 / (1024.0 * 1024.0);
    }

    private double? AzuriteCpuSeconds()
    {
        if (AzuritePid is not { } pid)
        {
            return null;
        }

        try
        {
            // The command name (field 2) may hold spaces; the fields after its closing parenthesis are fixed.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture)) / ClockTicksPerSecond;
        }
        catch (IOException)
        {
            return null;
        }
    }

    internal readonly record struct Snapshot(long Timestamp, double AppCpuSeconds, double? AzuriteCpuSeconds);
}

/// <summary>CPU used over windows of rest, in percent of one core.</summary>
internal sealed class CpuWindows
{
    private double _seconds;
    private double _app;
    private double _azurite;
    private bool _azuriteKnown = true;

    public void Add(ProcessStats.Snapshot from, ProcessStats.Snapshot to)
    {
        _seconds += Stopwatch.GetElapsedTime(from.Timestamp, to.Timestamp).TotalSeconds;
        _app += to.AppCpuSeconds - from.AppCpuSeconds;
        if (from.AzuriteCpuSeconds is { } a && to.AzuriteCpuSeconds is { } b)
        {
            _azurite += b - a;
        }
        else
        {
            _azuriteKnown = false;
        }
    }

    public double Seconds => _seconds;

    public double AppPercent => _seconds == 0 ? 0 : 100 * _app / _seconds;

    public double? AzuritePercent => _seconds == 0 || !_azuriteKnown ? null : 100 * _azurite / _seconds;
}
