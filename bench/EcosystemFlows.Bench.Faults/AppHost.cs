using System.Diagnostics;
using System.Net;
using EcosystemFlows.Tests.Shared;

namespace EcosystemFlows.Bench.Faults;

/// <summary>
/// The app (<c>dotnet exec EcosystemFlows.LocalHost.dll</c>) as a child process on a fixed port
/// (<see cref="StablePort"/>), configured only through environment variables from an empty working directory; killed
/// with SIGKILL and restarted.
/// Its output goes to a log file (the last lines are shown when it fails to come up).
/// </summary>
internal sealed class AppHost : IAsyncDisposable
{
    private readonly string _appDll;
    private readonly IReadOnlyDictionary<string, string> _settings;
    private readonly string _logPath;
    private readonly DirectoryInfo _workDir = Directory.CreateTempSubdirectory("ecoflows-faults-");
    private readonly HttpClient _probe;
    private readonly Lock _gate = new();
    private Process? _process;

    public AppHost(string appDll, IReadOnlyDictionary<string, string> settings, string logPath)
    {
        _appDll = appDll;
        _settings = settings;
        _logPath = logPath;
        BaseAddress = new Uri($"http://127.0.0.1:{StablePort.Pick()}");
        _probe = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
    }

    public Uri BaseAddress { get; }

    /// <summary>Starts the app and waits until <c>/readyz</c> answers 200 (every dependency reachable).</summary>
    public async Task StartAsync(TimeSpan timeout)
    {
        var start = new ProcessStartInfo("dotnet", ["exec", _appDll])
        {
            WorkingDirectory = _workDir.FullName,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (key, value) in _settings)
        {
            start.Environment[key] = value;
        }

        start.Environment["ASPNETCORE_URLS"] = BaseAddress.ToString();
        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var log = new StreamWriter(_logPath, append: true) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.Exited += (_, _) => log.Dispose();
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        lock (_gate)
        {
            _process = process;
        }

        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline && !process.HasExited)
        {
            try
            {
                using var response = await _probe.GetAsync(new Uri("/readyz", UriKind.Relative));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }

            await Task.Delay(250);
        }

        throw new InvalidOperationException($"the app did not become ready within {timeout} (exited: {process.HasExited}); see {_logPath}");
    }

    /// <summary>SIGKILL: no shutdown hook runs, in-flight work is cut wherever it is.</summary>
    public async Task KillAsync()
    {
        Process? process;
        lock (_gate)
        {
            process = _process;
            _process = null;
        }

        if (process is null)
        {
            return;
        }

        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        await process.WaitForExitAsync();
        process.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _probe.Dispose();
        _workDir.Delete(recursive: true);
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            try
            {
                log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // The process exited and its log closed.
            }
        }
    }
}
