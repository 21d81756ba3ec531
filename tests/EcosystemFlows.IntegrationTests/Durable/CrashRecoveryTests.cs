using System.Diagnostics;
using System.Text;
using EcosystemFlows.Azure.Durable;
using EcosystemFlows.Durable;
using EcosystemFlows.Durable.History;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace EcosystemFlows.IntegrationTests.Durable;

/// <summary>
/// Crash safety on the real backend: worker processes (tests/EcosystemFlows.Durable.CrashWorker) are killed
/// with SIGKILL at injected points and from outside mid-timer, then restarted; two of them share the task
/// hub at the end. Every orchestration must complete and every activity's side effect exist exactly once.
/// </summary>
public sealed class CrashRecoveryTests(ITestOutputHelper output)
{
    private const int Instances = 8;
    private const int ActivitiesPerInstance = 6;
    private const int SigKillExitCode = 137;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _ready = new();
    private readonly List<Process> _workers = [];

    [Fact]
    public async Task Workers_KilledAtEveryInjectedPointAndMidTimer_AllCompleteWithEachSideEffectOnce()
    {
        // Arrange
        var workerDll = await BuildCrashWorkerAsync();
        var hub = LocalServices.UniqueName("crash");
        var services = new ServiceCollection().AddLogging();
        DurableBackendHost.AddAzureClients(services);
        services.AddDurableTask(_ => { }).UseAzureStorageBackend(sectionPath: null, configure: o => (o.TaskHubName, o.DatabaseName) = (hub, hub));
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<DurableTaskClient>();
        var resources = provider.GetRequiredService<TaskHubResources>();
        var ids = new List<string>();
        for (var i = 0; i < Instances; i++)
        {
            ids.Add(await client.ScheduleNewOrchestrationInstanceAsync("CrashFlow", 2_000, new StartOrchestrationOptions { InstanceId = $"{hub}-{i}" }));
        }

        try
        {
            // Act: three self-kills at injected points, one after another.
            foreach (var (point, after) in new[] { ("activity-effect", 3), ("after-commit", 6), ("before-delete", 6) })
            {
                using var crashing = StartWorker(workerDll, hub, "solo", point, after);
                Assert.True(await WaitForExitAsync(crashing, TimeSpan.FromSeconds(40)), $"worker never reached kill point {point}");
                Assert.Equal(SigKillExitCode, crashing.ExitCode);
                output.WriteLine($"killed at {point} (hit {after})");
            }

            // A second set of instances on two worker processes: w1 alone starts them, w2 joins while their
            // timers are pending, w1 is killed mid-timer, w2 must take over (checked before w1 comes back),
            // then both run side by side until everything is done. Handover is forced in this order because
            // an idle worker would otherwise lose most of a trickle of starts to a busy one.
            var effects = resources.Instances.Database.GetContainer("effects");
            var first = StartWorker(workerDll, hub, "w1", "none", 0);
            await WaitUntilAsync(() => Task.FromResult(_ready.ContainsKey("w1")), TimeSpan.FromSeconds(60));
            var shared = new List<string>();
            for (var i = Instances; i < 2 * Instances; i++)
            {
                shared.Add(await client.ScheduleNewOrchestrationInstanceAsync("CrashFlow", 15_000, new StartOrchestrationOptions { InstanceId = $"{hub}-{i}" }));
            }

            ids.AddRange(shared);
            await WaitUntilAsync(async () => (await CountTimersCreatedAsync(client, shared)) == shared.Count, TimeSpan.FromSeconds(60));
            var second = StartWorker(workerDll, hub, "w2", "none", 0);
            await WaitUntilAsync(() => Task.FromResult(_ready.ContainsKey("w2")), TimeSpan.FromSeconds(60));
            first.Kill();
            await first.WaitForExitAsync();
            output.WriteLine("killed w1 mid-timer");
            await WaitUntilAsync(async () => (await QueryAsync(effects, "SELECT VALUE c.worker FROM c WHERE c.worker = 'w2'")).Count > 0, TimeSpan.FromSeconds(60));
            var restarted = StartWorker(workerDll, hub, "w1", "none", 0);

            // Assert
            var results = new List<OrchestrationMetadata>();
            foreach (var id in ids)
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                results.Add(await client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, cts.Token));
            }

            Assert.All(results, r => Assert.Equal(OrchestrationRuntimeStatus.Completed, r.RuntimeStatus));
            Assert.All(results, r => Assert.Equal(ActivitiesPerInstance, r.ReadOutputAs<int>()));
            var effectKeys = await QueryAsync(effects, "SELECT VALUE c.key FROM c WHERE STARTSWITH(c.id, 'effect|')");
            var attempts = await QueryAsync(effects, "SELECT VALUE c.worker FROM c WHERE STARTSWITH(c.id, 'attempt|')");
            output.WriteLine($"effects {effectKeys.Count}, attempts {attempts.Count}: " + string.Join(", ", attempts.GroupBy(w => w).Select(g => $"{g.Key}={g.Count()}")));
            Assert.Equal(2 * Instances * ActivitiesPerInstance, effectKeys.Count);
            Assert.Equal(effectKeys.Count, effectKeys.Distinct().Count());
            Assert.True(attempts.Count > effectKeys.Count, "the activity-effect kill point should have caused at least one re-execution");
            Assert.Contains("w1", attempts);
            Assert.Contains("w2", attempts);
            await AssertNoPoisonAsync(resources);
            restarted.Kill();
            second.Kill();
        }
        finally
        {
            // Whatever happened, no worker outlives the test (a failed assertion must not leave pollers behind).
            foreach (var worker in _workers)
            {
                try
                {
                    worker.Kill();
                    worker.Dispose();
                }
                catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException)
                {
                    // Already exited (or killed and disposed by the test itself).
                }
            }

            await resources.Instances.Database.DeleteAsync();
            foreach (var queue in resources.ControlQueues.Append(resources.WorkItems))
            {
                await queue.DeleteIfExistsAsync();
            }

            await resources.Payloads.DeleteIfExistsAsync();
            await resources.Poison.DeleteIfExistsAsync();
        }
    }

    private static async Task<int> CountTimersCreatedAsync(DurableTaskClient client, List<string> ids)
    {
        var count = 0;
        foreach (var id in ids)
        {
            count += (await client.GetOrchestrationHistoryAsync(id)).OfType<TimerCreatedEvent>().Any() ? 1 : 0;
        }

        return count;
    }

    private static async Task AssertNoPoisonAsync(TaskHubResources resources)
    {
        await foreach (var blob in resources.Poison.GetBlobsAsync(global::Azure.Storage.Blobs.Models.BlobTraits.None, global::Azure.Storage.Blobs.Models.BlobStates.None, null, CancellationToken.None))
        {
            Assert.Fail($"poisoned message {blob.Name}");
        }
    }

    private static async Task<List<string>> QueryAsync(Container container, string sql)
    {
        var values = new List<string>();
        using var iterator = container.GetItemQueryIterator<string>(sql);
        while (iterator.HasMoreResults)
        {
            values.AddRange(await iterator.ReadNextAsync());
        }

        return values;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached in time");
            await Task.Delay(50);
        }
    }

    private static async Task<bool> WaitForExitAsync(Process process, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            return false;
        }
    }

    private Process StartWorker(string workerDll, string hub, string workerId, string crashAt, int after)
    {
        var info = new ProcessStartInfo("dotnet", [workerDll])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment =
            {
                ["CRASH_HUB"] = hub,
                ["CRASH_WORKER_ID"] = workerId,
                ["CRASH_AT"] = crashAt,
                ["CRASH_AFTER"] = after.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Storage__ConnectionString"] = LocalServices.StorageConnectionString,
                ["Cosmos__AccountEndpoint"] = LocalServices.CosmosEndpoint.ToString(),
                ["Cosmos__AccountKey"] = LocalServices.CosmosKey,
            },
        };
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the crash worker");
        _workers.Add(process);
        process.ErrorDataReceived += (_, e) => Log(workerId, e.Data);
        process.OutputDataReceived += (_, e) => Log(workerId, e.Data);
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return process;
    }

    private void Log(string workerId, string? line)
    {
        if (line == "crash-worker: ready")
        {
            _ready[workerId] = true;
        }

        if (line is not null)
        {
            try
            {
                output.WriteLine($"[{workerId}] {line}");
            }
            catch (InvalidOperationException)
            {
                // The test already finished; late output of a dying worker has nowhere to go.
            }
        }
    }

    /// <summary>
    /// Builds the crash worker (incremental, so cheap when up to date) and returns its entry assembly;
    /// <c>CRASH_WORKER_DLL</c> names a prebuilt one instead (CI builds the solution first).
    /// </summary>
    private static async Task<string> BuildCrashWorkerAsync()
    {
        if (Environment.GetEnvironmentVariable("CRASH_WORKER_DLL") is { Length: > 0 } prebuilt)
        {
            Assert.True(File.Exists(prebuilt), $"CRASH_WORKER_DLL={prebuilt} does not exist");
            return prebuilt;
        }

        var project = Path.Combine(LocalServices.RepositoryRoot, "tests", "EcosystemFlows.Durable.CrashWorker", "EcosystemFlows.Durable.CrashWorker.csproj");
        var outputDir = Path.Combine(Path.GetTempPath(), "ecoflows-crashworker");
        using var build = Process.Start(new ProcessStartInfo("dotnet", ["build", project, "-nologo", "-v", "q", "-o", outputDir])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException("could not start dotnet build");
        var stdout = build.StandardOutput.ReadToEndAsync();
        var stderr = build.StandardError.ReadToEndAsync();
        await build.WaitForExitAsync();
        var log = new StringBuilder().Append(await stdout).Append(await stderr).ToString();
        Assert.True(build.ExitCode == 0, $"building the crash worker failed:\n{log}");
        return Path.Combine(outputDir, "EcosystemFlows.Durable.CrashWorker.dll");
    }
}
