using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using EcosystemFlows.Tests.Shared;

namespace EcosystemFlows.ServiceBusEmulator.Tests;

/// <summary>
/// The built emulator run as a child process on a free loopback port, with its own data directory under the
/// repository's .local/. <see cref="Kill"/> is a SIGKILL (kill -9): nothing of the emulator's runs after it.
/// </summary>
public sealed class EmulatorProcess : IAsyncDisposable
{
    public const string KeyName = "RootManageSharedAccessKey";
    public const string Key = "SAS_KEY_VALUE";
    private readonly StringBuilder output = new();
    private Process? process;

    private EmulatorProcess(string dataDirectory, int port, string config)
    {
        DataDirectory = dataDirectory;
        Port = port;
        Config = config;
    }

    public string DataDirectory { get; }

    public int Port { get; }

    public string Config { get; }

    public string ConnectionString => ConnectionStringWith(Key);

    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    public string ConnectionStringWith(string key) =>
        $"Endpoint=sb://localhost:{Port};SharedAccessKeyName={KeyName};SharedAccessKey={key};UseDevelopmentEmulator=true;";

    public static async Task<EmulatorProcess> StartAsync(string? config = null)
    {
        var root = RepositoryRoot();
        var data = Path.Combine(root, ".local", "test-servicebus", Guid.NewGuid().ToString("N")[..12]);
        var emulator = new EmulatorProcess(data, StablePort.Pick(), config ?? Path.Combine(AppContext.BaseDirectory, "Config.test.json"));
        await emulator.RestartAsync();
        return emulator;
    }

    /// <summary>Starts the process (again, on the same port and data) and waits until it accepts connections.</summary>
    public async Task RestartAsync()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "EcosystemFlows.ServiceBusEmulator.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { dll, "--config", Config, "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--data", DataDirectory, "--log", "Warning" })
        {
            start.ArgumentList.Add(arg);
        }

        process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The emulator exited with {process.ExitCode}:\n{Output}");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>kill -9: the process gets no chance to flush or close anything.</summary>
    public void Kill()
    {
        if (process is { HasExited: false })
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        process?.Dispose();
        await Task.Yield();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Left for the next clean of .local/.
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "EcosystemFlows.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("EcosystemFlows.sln not found above the test output folder.");
    }
}

/// <summary>One emulator shared by the tests of a collection; each test uses entities of its own.</summary>
public sealed class EmulatorFixture : IAsyncLifetime
{
    public EmulatorProcess Emulator { get; private set; } = null!;

    public Azure.Messaging.ServiceBus.ServiceBusClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Emulator = await EmulatorProcess.StartAsync();
        Client = new Azure.Messaging.ServiceBus.ServiceBusClient(Emulator.ConnectionString, new Azure.Messaging.ServiceBus.ServiceBusClientOptions
        {
            RetryOptions = new Azure.Messaging.ServiceBus.ServiceBusRetryOptions { TryTimeout = TimeSpan.FromSeconds(10), MaxRetries = 2, Delay = TimeSpan.FromMilliseconds(200) },
        });
    }

    public async Task DisposeAsync()
    {
        await Client.DisposeAsync();
        await Emulator.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class EmulatorCollection : ICollectionFixture<EmulatorFixture>
{
    public const string Name = "emulator";
}
