using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using System.Text;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Azure.Messaging.ServiceBus;
using EcosystemFlows.Azure.ServiceBus;
using EcosystemFlows.Azure.ServiceBus.Triggers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ServiceBusMessage = EcosystemFlows.Azure.ServiceBus.ServiceBusMessage;
using ServiceBusReceivedMessage = EcosystemFlows.Azure.ServiceBus.ServiceBusReceivedMessage;
using ServiceBusSender = EcosystemFlows.Azure.ServiceBus.ServiceBusSender;

namespace EcosystemFlows.IntegrationTests.ServiceBus;

/// <summary>
/// The app's sender and processor (on Azure.Messaging.ServiceBus) against the local emulator; each test owns a
/// queue of Config.json (<c>it-*</c>), emptied first.
/// </summary>
public sealed class ServiceBusMessagingTests
{
    [Fact]
    public async Task SendAndProcess_MessageWithEveryProperty_ArrivesIntact()
    {
        // Arrange
        var queue = await ServiceBusTestBroker.PurgeAsync("it-props");
        var id = $"{ServiceBusTestBroker.RunPrefix("props")}msg-1";
        await using var client = ServiceBusTestBroker.Client();
        await using var sender = new ServiceBusSender(client);
        var received = new TaskCompletionSource<ServiceBusReceivedMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var processor = ServiceBusTestBroker.Processor(client, ServiceBusEntity.Queue(queue), (message, _) =>
        {
            if (message.MessageId == id)
            {
                received.TrySetResult(message);
            }

            return Task.CompletedTask;
        });
        await processor.StartAsync();
        var raisedAt = new DateTime(2030, 1, 2, 3, 4, 5, 678, DateTimeKind.Utc);
        var traceId = Guid.NewGuid();
        using var activity = new Activity("test-send").SetIdFormat(ActivityIdFormat.W3C).Start();
        activity.TraceStateString = "ecoflows=1";

        // Act
        await sender.SendToQueueAsync(queue, new ServiceBusMessage("""{"offeringId":"offering-42"}"""u8.ToArray())
        {
            MessageId = id,
            CorrelationId = "corr-1",
            Subject = "offering-42",
            ContentType = "application/json",
            ReplyTo = "replies",
            TimeToLive = TimeSpan.FromHours(1),
            ApplicationProperties = new Dictionary<string, object?>
            {
                ["attempt"] = 3,
                ["sequence"] = 9_000_000_000L,
                ["urgent"] = true,
                ["score"] = 0.25,
                ["raisedAt"] = raisedAt,
                ["traceId"] = traceId,
                ["partner"] = "partner-a",
            },
        });
        var message = await received.Task.WaitAsync(ServiceBusTestBroker.WaitTimeout);

        // Assert
        Assert.Equal("corr-1", message.CorrelationId);
        Assert.Equal("offering-42", message.Subject);
        Assert.Equal("application/json", message.ContentType);
        Assert.Equal("replies", message.ReplyTo);
        Assert.Equal(TimeSpan.FromHours(1), message.TimeToLive);
        Assert.Equal(1, message.DeliveryCount);
        Assert.Equal("""{"offeringId":"offering-42"}""", Encoding.UTF8.GetString(message.Body.Span));
        Assert.Equal(3, message.ApplicationProperties["attempt"]);
        Assert.Equal(9_000_000_000L, message.ApplicationProperties["sequence"]);
        Assert.Equal(true, message.ApplicationProperties["urgent"]);
        Assert.Equal(0.25, message.ApplicationProperties["score"]);
        Assert.Equal(raisedAt, message.ApplicationProperties["raisedAt"]);
        Assert.Equal(traceId, message.ApplicationProperties["traceId"]);
        Assert.Equal("partner-a", message.ApplicationProperties["partner"]);
        // No listener samples the app's own source here, so the ambient activity is the parent.
        Assert.Equal(activity.Id, message.ApplicationProperties["traceparent"]);
        Assert.Equal(activity.Id, message.ApplicationProperties["Diagnostic-Id"]);
        Assert.Equal("ecoflows=1", message.ApplicationProperties["tracestate"]);
    }

    [Fact]
    public async Task SendToQueue_ScheduledEnqueueTime_DeliveredOnlyFromThatTime()
    {
        var queue = await ServiceBusTestBroker.PurgeAsync("it-scheduled");
        var id = $"{ServiceBusTestBroker.RunPrefix("sched")}later";
        await using var client = ServiceBusTestBroker.Client();
        await using var sender = new ServiceBusSender(client);
        var due = DateTimeOffset.UtcNow.AddSeconds(3);

        await sender.SendToQueueAsync(queue, new ServiceBusMessage("x"u8.ToArray()) { MessageId = id, ScheduledEnqueueTime = due });
        var early = await ServiceBusTestBroker.ReceiveAsync(queue, 1, m => m.MessageId == id, TimeSpan.FromSeconds(1));
        var onTime = await ServiceBusTestBroker.ReceiveAsync(queue, 1, m => m.MessageId == id, TimeSpan.FromSeconds(15));

        Assert.Empty(early);
        var message = Assert.Single(onTime);
        Assert.True(DateTimeOffset.UtcNow >= due.AddMilliseconds(-100), "delivered before its scheduled time");
        Assert.Equal(due.ToUnixTimeSeconds(), message.ScheduledEnqueueTime.ToUnixTimeSeconds());
    }

    [Fact]
    public async Task SendToQueue_UnknownEntity_FailsInsteadOfDroppingTheMessage()
    {
        // Azure refuses a misspelt entity name (amqp:not-found); a send must never report success for a message
        // that went nowhere (RabbitMQ did, which an earlier test pinned as the local gap this closes).
        await using var client = ServiceBusTestBroker.Client(ServiceBusTestBroker.Options(o => o.OperationTimeout = TimeSpan.FromSeconds(5)));
        await using var sender = new ServiceBusSender(client);

        var error = await Assert.ThrowsAsync<ServiceBusException>(() =>
            sender.SendToQueueAsync($"missing-{Guid.NewGuid():N}", new ServiceBusMessage("x"u8.ToArray())));

        Assert.Equal(ServiceBusFailureReason.MessagingEntityNotFound, error.Reason);
    }

    [Fact]
    public async Task Send_WrongSharedAccessKey_IsRefused()
    {
        var options = ServiceBusTestBroker.Options(o => o.ConnectionString = o.ConnectionString.Replace("SharedAccessKey=SAS_KEY_VALUE", "SharedAccessKey=not-the-key", StringComparison.Ordinal));
        Assert.DoesNotContain("SAS_KEY_VALUE", options.ConnectionString, StringComparison.Ordinal);
        await using var client = ServiceBusTestBroker.Client(options);
        await using var sender = new ServiceBusSender(client);

        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => sender.SendToQueueAsync("it-props", new ServiceBusMessage("x"u8.ToArray())));
    }

    [Fact]
    public async Task Process_HandlerDeadLetters_DeadLetterSubQueueCarriesReasonAndOriginalIsGone()
    {
        var queue = await ServiceBusTestBroker.PurgeAsync("it-deadletter");
        var id = $"{ServiceBusTestBroker.RunPrefix("dl")}dead-1";
        await using var client = ServiceBusTestBroker.Client();
        var log = new HandledLog();
        await using var processor = ServiceBusTestBroker.Processor(client, ServiceBusEntity.Queue(queue), (message, _) =>
        {
            log.Record(message);
            throw new DeadLetterMessageException("UnknownOffering", "offering offering-7 does not exist");
        });
        await processor.StartAsync();

        await using var sender = new ServiceBusSender(client);
        await sender.SendToQueueAsync(queue, new ServiceBusMessage("{}"u8.ToArray())
        {
            MessageId = id,
            Subject = "offering-7",
            ApplicationProperties = new Dictionary<string, object?> { ["tenant"] = "org-1" },
        });
        var deadLetters = await ServiceBusTestBroker.ReceiveDeadLettersAsync(queue, 1, m => m.MessageId == id);
        await processor.StopAsync();

        var dead = Assert.Single(deadLetters);
        Assert.Equal("offering-7", dead.Subject);
        Assert.Equal("org-1", dead.ApplicationProperties["tenant"]);
        Assert.Equal("UnknownOffering", dead.DeadLetterReason);
        Assert.Equal("offering offering-7 does not exist", dead.DeadLetterErrorDescription);
        Assert.Equal(1, log.Counts[id]);
        Assert.Empty(await ServiceBusTestBroker.ReceiveAsync(queue, 1, timeout: TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task Process_PoisonMessages_DeadLetteredAtOnceWithReason()
    {
        var queue = await ServiceBusTestBroker.PurgeAsync("it-poison");
        var run = ServiceBusTestBroker.RunPrefix("poison");
        var options = ServiceBusTestBroker.Options(o => o.MaxMessageBytes = 4096);
        await using var client = ServiceBusTestBroker.Client(options);
        var outer = new HandledLog();
        var handler = new StartOfferingHandler();
        await using var processor = ServiceBusTestBroker.Processor(client, ServiceBusEntity.Queue(queue), async (message, token) =>
        {
            outer.Record(message);
            await handler.HandleAsync(message, token);
        }, options);
        await processor.StartAsync();
        await using var sender = new ServiceBusSender(client);

        await sender.SendToQueueAsync(queue, new ServiceBusMessage("""{"offeringId": "#"""u8.ToArray()) { MessageId = $"{run}malformed" });
        await sender.SendToQueueAsync(queue, new ServiceBusMessage("""{"partnerId":"p-1"}"""u8.ToArray()) { MessageId = $"{run}wrong-schema" });
        await sender.SendToQueueAsync(queue, new ServiceBusMessage(Encoding.UTF8.GetBytes($$"""{"offeringId":"{{new string('x', 10_000)}}"}""")) { MessageId = $"{run}oversized" });
        await sender.SendToQueueAsync(queue, new ServiceBusMessage("""{"offeringId":"offering-1"}"""u8.ToArray()) { MessageId = $"{run}valid" });
        var deadLetters = await ServiceBusTestBroker.ReceiveDeadLettersAsync(queue, 3);
        await ServiceBusTestBroker.WaitUntilAsync(() => handler.Handled.Count == 1, because: "the valid message is handled");
        await processor.StopAsync();

        var reasons = deadLetters.ToDictionary(m => m.MessageId[run.Length..], m => m.DeadLetterReason);
        Assert.Equal(DeadLetterMessageException.Reasons.DeserializationFailed, reasons["malformed"]);
        Assert.Equal(DeadLetterMessageException.Reasons.ValidationFailed, reasons["wrong-schema"]);
        Assert.Equal(DeadLetterMessageException.Reasons.MessageTooLarge, reasons["oversized"]);
        Assert.Contains("OfferingId", deadLetters.Single(m => m.MessageId == $"{run}wrong-schema").DeadLetterErrorDescription, StringComparison.Ordinal);
        // Dead-lettered on the first delivery: never retried (the oversized one is never even handed over).
        Assert.Equal(1, outer.Counts[$"{run}malformed"]);
        Assert.Equal(1, outer.Counts[$"{run}wrong-schema"]);
        Assert.False(outer.Counts.ContainsKey($"{run}oversized"));
        Assert.Equal(["offering-1"], handler.Handled);
    }

    [Fact]
    public async Task Process_TransientFailures_RedeliveredThenDeadLetteredAfterMaxDeliveryCount()
    {
        var queue = await ServiceBusTestBroker.PurgeAsync("it-transient");
        var run = ServiceBusTestBroker.RunPrefix("transient");
        var options = ServiceBusTestBroker.Options(o => (o.MaxDeliveryCount, o.RetryDelay) = (3, TimeSpan.FromMilliseconds(300)));
        await using var client = ServiceBusTestBroker.Client(options);
        var log = new HandledLog();
        var started = Stopwatch.StartNew();
        var succeeded = new TaskCompletionSource<ServiceBusReceivedMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var processor = ServiceBusTestBroker.Processor(client, ServiceBusEntity.Queue(queue), (message, _) =>
        {
            log.Record(message);
            if (message.MessageId == $"{run}flaky" && message.DeliveryCount >= 2)
            {
                succeeded.TrySetResult(message);
                return Task.CompletedTask;
            }

            throw new TimeoutException("the catalog did not answer");
        }, options);
        await processor.StartAsync();
        await using var sender = new ServiceBusSender(client);

        await sender.SendToQueueAsync(queue, new ServiceBusMessage("{}"u8.ToArray()) { MessageId = $"{run}always-fails" });
        await sender.SendToQueueAsync(queue, new ServiceBusMessage("{}"u8.ToArray()) { MessageId = $"{run}flaky" });
        var dead = Assert.Single(await ServiceBusTestBroker.ReceiveDeadLettersAsync(queue, 1));
        var deadAfter = started.Elapsed;
        var recovered = await succeeded.Task.WaitAsync(ServiceBusTestBroker.WaitTimeout);
        await processor.StopAsync();

        Assert.Equal($"{run}always-fails", dead.MessageId);
        Assert.Equal(DeadLetterMessageException.Reasons.MaxDeliveryCountExceeded, dead.DeadLetterReason);
        Assert.Contains("TimeoutException", dead.DeadLetterErrorDescription, StringComparison.Ordinal);
        Assert.Equal(3, log.Counts[$"{run}always-fails"]);
        // The namespace counts deliveries: each abandon makes the next delivery's count one higher.
        Assert.Equal([1, 2, 3], log.Messages.Where(m => m.MessageId == $"{run}always-fails").Select(m => m.DeliveryCount));
        Assert.Equal(2, recovered.DeliveryCount);

        // Each failed delivery waited before its abandon: 300 ms, then 600 ms.
        Assert.True(deadAfter >= TimeSpan.FromMilliseconds(900), $"dead-lettered after {deadAfter}");
        Assert.Equal(2, log.Counts[$"{run}flaky"]);
        Assert.Empty(await ServiceBusTestBroker.ReceiveAsync(queue, 1, timeout: TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task Process_BackOffLongerThanTheLock_AbandonsWhileStillHoldingTheLock()
    {
        // it-lockcap has a 5 s LockDuration; the wanted back-off (30 s) would outlive the lock. The processor waits
        // at most a quarter of the lock left, then abandons: the redelivery comes long before the lock would expire.
        var queue = await ServiceBusTestBroker.PurgeAsync("it-lockcap");
        var id = $"{ServiceBusTestBroker.RunPrefix("lockcap")}slow-dependency";
        var options = ServiceBusTestBroker.Options(o => o.RetryDelay = TimeSpan.FromSeconds(30));
        await using var client = ServiceBusTestBroker.Client(options);
        var log = new HandledLog();
        var clock = new Stopwatch();
        var deliveredAt = new List<TimeSpan>();
        var second = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var processor = ServiceBusTestBroker.Processor(client, ServiceBusEntity.Queue(queue), (message, _) =>
        {
            if (message.MessageId != id)
            {
                return Task.CompletedTask;
            }

            log.Record(message);
            lock (deliveredAt)
            {
                deliveredAt.Add(clock.Elapsed);
            }

            if (message.DeliveryCount == 1)
            {
                throw new TimeoutException("the database is restarting");
            }

            second.TrySetResult();
            return Task.CompletedTask;
        }, options);
        await processor.StartAsync();
        await using var sender = new ServiceBusSender(client);

        clock.Start();
        await sender.SendToQueueAsync(queue, new ServiceBusMessage("{}"u8.ToArray()) { MessageId = id });
        await second.Task.WaitAsync(ServiceBusTestBroker.WaitTimeout);
        await processor.StopAsync();

        var gap = deliveredAt[1] - deliveredAt[0];
        Assert.Equal([1, 2], log.Messages.Select(m => m.DeliveryCount));
        Assert.True(gap >= TimeSpan.FromMilliseconds(500), $"the failed delivery should back off before its abandon ({gap})");
        Assert.True(gap < TimeSpan.FromSeconds(4), $"the abandon should come well within the 5 s lock ({gap})");
    }

    [Fact]
    public async Task Process_TwoCompetingConsumers5000Messages_EachHandledExactlyOnce()
    {
        const int Count = 5000;
        var queue = await ServiceBusTestBroker.PurgeAsync("it-compete");
        var run = ServiceBusTestBroker.RunPrefix("compete");
        // Two clients: two worker processes competing for one queue.
        await using var first = ServiceBusTestBroker.Client();
        await using var second = ServiceBusTestBroker.Client();
        var log = new HandledLog();
        var perConsumer = new int[2];
        await using var one = ServiceBusTestBroker.Processor(first, ServiceBusEntity.Queue(queue), (message, _) =>
        {
            log.Record(message);
            Interlocked.Increment(ref perConsumer[0]);
            return Task.CompletedTask;
        });
        await using var two = ServiceBusTestBroker.Processor(second, ServiceBusEntity.Queue(queue), (message, _) =>
        {
            log.Record(message);
            Interlocked.Increment(ref perConsumer[1]);
            return Task.CompletedTask;
        });
        await one.StartAsync();
        await two.StartAsync();
        await using var sender = new ServiceBusSender(first);

        await Parallel.ForEachAsync(Enumerable.Range(0, Count), new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (i, token) =>
            await sender.SendToQueueAsync(queue, new ServiceBusMessage(Encoding.UTF8.GetBytes($$"""{"n":{{i}}}""")) { MessageId = $"{run}{i}" }, token));
        await ServiceBusTestBroker.WaitUntilAsync(() => log.Counts.Count >= Count, TimeSpan.FromSeconds(60), "all messages handled");
        await Task.Delay(500);
        await one.StopAsync();
        await two.StopAsync();

        Assert.Equal(Count, log.Counts.Count);
        Assert.All(log.Counts, pair => Assert.Equal(1, pair.Value));
        Assert.Equal(Count, log.Messages.Count);
        Assert.True(perConsumer[0] > 0 && perConsumer[1] > 0, $"both consumers should take a share: {perConsumer[0]} / {perConsumer[1]}");
        Assert.Empty(await ServiceBusTestBroker.ReceiveAsync(queue, 1, timeout: TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task StopAsync_HandlersInFlight_SettlesThemAndLeavesTheRestInTheQueue()
    {
        // it-stop has a 5 s LockDuration: messages the SDK prefetched but never handed over come back after it.
        const int Count = 300;
        var queue = await ServiceBusTestBroker.PurgeAsync("it-stop");
        var run = ServiceBusTestBroker.RunPrefix("stop");
        var options = ServiceBusTestBroker.Options(o => o.MaxConcurrentCalls = 2);
        await using var client = ServiceBusTestBroker.Client(options);
        await using var sender = new ServiceBusSender(client);
        await Parallel.ForEachAsync(Enumerable.Range(0, Count), async (i, token) =>
            await sender.SendToQueueAsync(queue, new ServiceBusMessage("{}"u8.ToArray()) { MessageId = $"{run}{i}" }, token));
        var log = new HandledLog();
        var processor = ServiceBusTestBroker.Processor(client, ServiceBusEntity.Queue(queue), async (message, token) =>
        {
            await Task.Delay(50, token);
            log.Record(message);
        }, options);
        await processor.StartAsync();
        await ServiceBusTestBroker.WaitUntilAsync(() => log.Counts.Count >= 10, because: "a few handled");

        await processor.StopAsync();
        await processor.DisposeAsync();
        var handled = log.Counts.Keys.ToHashSet();
        var left = await ServiceBusTestBroker.ReceiveAsync(queue, Count - handled.Count, timeout: TimeSpan.FromSeconds(30));

        // Every message is either handled (and completed) or back in the queue: none lost, none twice.
        Assert.Equal(Count - handled.Count, left.Count);
        Assert.Empty(left.Select(m => m.MessageId).Intersect(handled));
    }

    [Fact]
    public async Task TriggerHost_HandlerDeclaredByAttribute_StartsListenerAndHandles()
    {
        var queue = await ServiceBusTestBroker.PurgeAsync("it-host");
        var id = $"{ServiceBusTestBroker.RunPrefix("host")}1";
        var services = new ServiceCollection();
        services.Configure<ServiceBusOptions>(options =>
        {
            var defaults = ServiceBusTestBroker.Options();
            options.ConnectionString = defaults.ConnectionString;
            options.ShutdownTimeout = defaults.ShutdownTimeout;
        });
        services.AddLogging();
        var seen = new HandledLog();
        services.AddSingleton(seen);
        services.AddServiceBusTrigger<RecordingHandler>(ServiceBusEntity.Queue(queue));
        await using var provider = services.BuildServiceProvider();
        var host = provider.GetServices<IHostedService>().Single();

        await host.StartAsync(CancellationToken.None);
        await provider.GetRequiredService<ServiceBusSender>().SendToQueueAsync(queue, new ServiceBusMessage("""{"offeringId":"o-1"}"""u8.ToArray()) { MessageId = id });
        await ServiceBusTestBroker.WaitUntilAsync(() => seen.Counts.ContainsKey(id), because: "the trigger handled the message");
        await host.StopAsync(CancellationToken.None);

        Assert.Equal(1, seen.Counts[id]);
        Assert.Equal(ServiceBusEntity.Queue("offering-commands"), typeof(RecordingHandler).GetCustomAttributes(typeof(ServiceBusTriggerAttribute), false).Cast<ServiceBusTriggerAttribute>().Single().Entity);
    }

    [ServiceBusTrigger("offering-commands")]
    private sealed class RecordingHandler(HandledLog log) : IServiceBusHandler
    {
        public Task HandleAsync(ServiceBusReceivedMessage message, CancellationToken cancellationToken)
        {
            log.Record(message);
            return Task.CompletedTask;
        }
    }
}

internal sealed record StartOffering([property: Required] string? OfferingId);

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(StartOffering))]
internal sealed partial class TestCommandsJsonContext : JsonSerializerContext;

internal sealed class StartOfferingHandler : ServiceBusJsonHandler<StartOffering>
{
    public List<string> Handled { get; } = [];

    protected override JsonTypeInfo<StartOffering> JsonTypeInfo => TestCommandsJsonContext.Default.StartOffering;

    protected override Task HandleAsync(StartOffering message, ServiceBusReceivedMessage received, CancellationToken cancellationToken)
    {
        lock (Handled)
        {
            Handled.Add(message.OfferingId!);
        }

        return Task.CompletedTask;
    }
}
