using System.Diagnostics;
using System.Net;
using System.Text;

namespace EcosystemFlows.IntegrationTests.EndToEnd;

/// <summary>
/// The app run as a real process (<c>dotnet exec EcosystemFlows.LocalHost.dll</c>), configured only through
/// environment variables, from an empty working directory so no developer local.settings.json leaks in. It listens on
/// a port the kernel gives it (port 0) and reports it in its "Now listening on" line: a port picked here and handed
/// over would be free only until some process's outgoing connection took it as its ephemeral port.
/// </summary>
internal sealed class AppProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly DirectoryInfo _workDir;
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private AppProcess(Process process, DirectoryInfo workDir)
    {
        _process = process;
        _workDir = workDir;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>The address the app listens on; known once <see cref="WaitUntilLiveAsync"/> returned.</summary>
    public Uri BaseAddress => _listening.Task.IsCompletedSuccessfully
        ? _listening.Task.Result
        : throw new InvalidOperationException("the app has not reported its address yet: await WaitUntilLiveAsync first");

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Settings pointing at the local services started by eng/services.sh.</summary>
    public static Dictionary<string, string> LocalServiceSettings() => new()
    {
        ["Storage__ConnectionString"] = LocalServices.StorageConnectionString,
        ["Cosmos__AccountEndpoint"] = LocalServices.CosmosEndpoint.ToString(),
        ["Cosmos__AccountKey"] = LocalServices.CosmosKey,
        ["Cosmos__DatabaseName"] = "ecosystemflows-e2e",
        ["ServiceBus__ConnectionString"] = LocalServices.ServiceBusConnectionString,
        ["Auth__Audience"] = "ecosystemflows-e2e",
        ["Auth__DevelopmentSigningKey"] = Convert.ToBase64String("end-to-end-tests-only-signing-key!"u8),
    };

    /// <summary>
    /// <see cref="LocalServiceSettings"/> with a Cosmos database and a task hub of the caller's own, both named
    /// <paramref name="name"/> (a prefix and a run id), so no two tests or runs share workflow state.
    /// </summary>
    public static Dictionary<string, string> IsolatedSettings(string name)
    {
        var settings = LocalServiceSettings();
        settings["Cosmos__DatabaseName"] = name;
        settings["extensions__durableTask__hubName"] = name;
        return settings;
    }

    public static AppProcess Start(IReadOnlyDictionary<string, string> settings)
    {
        var workDir = Directory.CreateTempSubdirectory("ecoflows-app-");
        var start = new ProcessStartInfo("dotnet", ["exec", Path.Combine(AppContext.BaseDirectory, "EcosystemFlows.LocalHost.dll")])
        {
            WorkingDirectory = workDir.FullName,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }

        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        start.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        return new AppProcess(process, workDir);
    }

    /// <summary>Waits until the process exits (a boot failure) and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new InvalidOperationException($"the app was still running after {timeout}:\n{Output}");
        }

        // The parameterless wait flushes the asynchronous output readers.
        await _process.WaitForExitAsync();
        return _process.ExitCode;
    }

    /// <summary>Waits for the app's address, then polls <c>/healthz</c> until the app serves requests.</summary>
    public async Task<HttpClient> WaitUntilLiveAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        using (var stop = new CancellationTokenSource(timeout))
        {
            await Task.WhenAny(_listening.Task, _process.WaitForExitAsync(stop.Token));
            await stop.CancelAsync();
        }

        if (!_listening.Task.IsCompletedSuccessfully)
        {
            throw new InvalidOperationException($"the app did not report the address it listens on within {timeout}:\n{Output}");
        }

        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                break;
            }

            try
            {
                using var response = await client.GetAsync(new Uri("/healthz", UriKind.Relative));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return client;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(200);
        }

        client.Dispose();
        throw new InvalidOperationException($"the app did not become live within {timeout}:\n{Output}");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        _workDir.Delete(recursive: true);
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        const string Listening = "Now listening on: ";
        var at = line.IndexOf(Listening, StringComparison.Ordinal);
        if (at >= 0)
        {
            _listening.TrySetResult(new Uri(line[(at + Listening.Length)..].Trim()));
        }
    }
}
