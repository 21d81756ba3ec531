using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using System.Text;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using EcosystemFlows.Azure.ServiceBus;
using EcosystemFlows.Azure.ServiceBus.Triggers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EcosystemFlows.IntegrationTests.ServiceBus;

/// <summary>The adapter's sender and processor against RabbitMQ; each test owns its queues.</summary>
public sealed class ServiceBusMessagingTests
{
    [Fact]
    public async Task SendAndProcess_MessageWithEveryProperty_ArrivesIntact()
    {
        // Arrange
        var queue = await ServiceBusTestBroker.CreateQueueAsync("props");
        await using var connection = ServiceBusTestBroker.Connect();
        var sender = new ServiceBusSender(connection);
        var received = new TaskCompletionSource<ServiceBusReceivedMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var processor = new ServiceBusProcessor(connection, ServiceBusEntity.Queue(queue), (message, _) =>
        {
            received.TrySetResult(message);
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
            MessageId = "msg-1",
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
        Assert.Equal("msg-1", message.MessageId);
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
        // No listener samples the adapter's own source here, so the ambient activity is the parent.
        Assert.Equal(activity.Id, message.ApplicationProperties["traceparent"]);
        Assert.Equal(activity.Id, message.ApplicationProperties["Diagnostic-Id"]);
        Assert.Equal("ecoflows=1", message.ApplicationProperties["tracestate"]);
    }

    [Fact]
    public async Task SendToQueue_ScheduledOnLocalBroker_ThrowsAndSendsNothing()
    {
        var queue = await ServiceBusTestBroker.CreateQueueAsync("sched");
        await using var connection = ServiceBusTestBroker.Connect();
        var sender = new ServiceBusSender(connection);

        var error = await Assert.ThrowsAsync<NotSupportedException>(() => sender.SendToQueueAsync(queue,
            new ServiceBusMessage("x"u8.ToArray()) { MessageId = "scheduled", ScheduledEnqueueTime = DateTimeOffset.UtcNow.AddHours(1) }));

        Assert.Contains("not sent", error.Message, StringComparison.Ordinal);
        Assert.Empty(await ServiceBusTestBroker.ReceiveRawAsync(queue, 1, timeout: TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task Process_HandlerDeadLetters_CopyInDlqCarriesReasonAndOriginalIsGone()
    {
        var queue = await ServiceBusTestBroker.CreateQueueAsync("dl");
        await using var connection = ServiceBusTestBroker.Connect();
        var log = new HandledLog();
        await using var processor = new ServiceBusProcessor(connection, ServiceBusEntity.Queue(queue), (message, _) =>
        {
            log.Record(message);
            throw new DeadLetterMessageException("UnknownOffering", "offering offering-7 does not exist");
        });
        await processor.StartAsync();

        await new ServiceBusSender(connection).SendToQueueAsync(queue, new ServiceBusMessage("{}"u8.ToArray())
        {
            MessageId = "dead-1",
            Subject = "offering-7",
            ApplicationProperties = new Dictionary<string, object?> { ["tenant"] = "org-1" },
        });
        var deadLetters = await ServiceBusTestBroker.ReceiveRawAsync($"{queue}.dlq", 1);
        await processor.StopAsync();

        var dead = Assert.Single(deadLetters);
        Assert.Equal("dead-1", dead.Properties.MessageId);
        Assert.Equal("offering-7", dead.Properties.Subject);
        Assert.Equal("org-1", dead.ApplicationProperties["tenant"]);
        Assert.Equal("UnknownOffering", dead.ApplicationProperties[ServiceBusDialect.DeadLetterReasonProperty]);
        Assert.Equal("offering offering-7 does not exist", dead.ApplicationProperties[ServiceBusDialect.DeadLetterErrorDescriptionProperty]);
        Assert.True(dead.Header.Durable);
        Assert.Equal(1, log.Counts["dead-1"]);
        Assert.Empty(await ServiceBusTestBroker.ReceiveRawAsync(queue, 1, timeout: TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task Process_DeadLetterQueueMissing_DeclaredOnTheFlyAndNothingLost()
    {
        // RabbitMQ drops what is sent to /amq/queue/<missing>; the dialect sends dead letters to a
        // durable /queue/<q>.dlq terminus, which declares the queue instead.
        var queue = await ServiceBusTestBroker.CreateQueueAsync("nodlq", withDeadLetterQueue: false);
        await using var connection = ServiceBusTestBroker.Connect();
        await using var processor = new ServiceBusProcessor(connection, ServiceBusEntity.Queue(queue), (_, _) =>
            throw new DeadLetterMessageException("Invalid", "no dead-letter queue yet"));
        await processor.StartAsync();

        await new ServiceBusSender(connection).SendToQueueAsync(queue, new ServiceBusMessage("{}"u8.ToArray()) { MessageId = "orphan" });
        var dead = Assert.Single(await ServiceBusTestBroker.ReceiveRawAsync($"{queue}.dlq", 1));

        Assert.Equal("orphan", dead.Properties.MessageId);
        Assert.Equal("Invalid", dead.ApplicationProperties[ServiceBusDialect.DeadLetterReasonProperty]);
    }

    [Fact]
    public async Task Process_PoisonMessages_DeadLetteredAtOnceWithReason()
    {
        var queue = await ServiceBusTestBroker.CreateQueueAsync("poison");
        await using var connection = ServiceBusTestBroker.Connect(options => options.MaxMessageBytes = 4096);
        var outer = new HandledLog();
        var handler = new StartOfferingHandler();
        await using var processor = new ServiceBusProcessor(connection, ServiceBusEntity.Queue(queue), async (message, token) =>
        {
            outer.Record(message);
            await handler.HandleAsync(message, token);
        });
        await processor.StartAsync();
        var sender = new ServiceBusSender(connection);

        await sender.SendToQueueAsync(queue, new ServiceBusMessage("""{"offeringId": "#"""u8.ToArray()) { MessageId = "malformed" });
        await sender.SendToQueueAsync(queue, new ServiceBusMessage("""{"partnerId":"p-1"}"""u8.ToArray()) { MessageId = "wrong-schema" });
        await sender.SendToQueueAsync(queue, new ServiceBusMessage(Encoding.UTF8.GetBytes($$"""{"offeringId":"{{new string('x', 10_000)}}"}""")) { MessageId = "oversized" });
        await sender.SendToQueueAsync(queue, new ServiceBusMessage("""{"offeringId":"offering-1"}"""u8.ToArray()) { MessageId = "valid" });
        var deadLetters = await ServiceBusTestBroker.ReceiveRawAsync($"{queue}.dlq", 3);
        await ServiceBusTestBroker.WaitUntilAsync(() => handler.Handled.Count == 1, because: "the valid message is handled");
        await processor.StopAsync();

        var reasons = deadLetters.ToDictionary(m => m.Properties.MessageId, m => (string)m.ApplicationProperties[ServiceBusDialect.DeadLetterReasonProperty]);
        Assert.Equal(DeadLetterMessageException.Reasons.DeserializationFailed, reasons["malformed"]);
        Assert.Equal(DeadLetterMessageException.Reasons.ValidationFailed, reasons["wrong-schema"]);
        Assert.Equal(DeadLetterMessageException.Reasons.MessageTooLarge, reasons["oversized"]);
        Assert.Contains("OfferingId", (string)deadLetters.Single(m => m.Properties.MessageId == "wrong-schema").ApplicationProperties[ServiceBusDialect.DeadLetterErrorDescriptionProperty], StringComparison.Ordinal);
        // Dead-lettered on the first delivery: never retried (the oversized one is never even handed over).
        Assert.Equal(1, outer.Counts["malformed"]);
        Assert.Equal(1, outer.Counts["wrong-schema"]);
        Assert.False(outer.Counts.ContainsKey("oversized"));
        Assert.Equal(["offering-1"], handler.Handled);
    }

    [Fact]
    public async Task Process_TransientFailures_RedeliveredThenDeadLetteredAfterMaxDeliveryCount()
    {
        var queue = await ServiceBusTestBroker.CreateQueueAsync("transient");
        await using var connection = ServiceBusTestBroker.Connect(options => (options.MaxDeliveryCount, options.RetryDelay) = (3, TimeSpan.FromMilliseconds(300)));
        var log = new HandledLog();
        var started = System.Diagnostics.Stopwatch.StartNew();
        var succeeded = new TaskCompletionSource<ServiceBusReceivedMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var processor = new ServiceBusProcessor(connection, ServiceBusEntity.Queue(queue), (message, _) =>
        {
            log.Record(message);
            if (message.MessageId == "flaky" && message.DeliveryCount >= 2)
            {
                succeeded.TrySetResult(message);
                return Task.CompletedTask;
            }

            throw new TimeoutException("the catalog did not answer");
        });
        await processor.StartAsync();
        var sender = new ServiceBusSender(connection);

        await sender.SendToQueueAsync(queue, new ServiceBusMessage("{}"u8.ToArray()) { MessageId = "always-fails" });
        await sender.SendToQueueAsync(queue, new ServiceBusMessage("{}"u8.ToArray()) { MessageId = "flaky" });
        var dead = Assert.Single(await ServiceBusTestBroker.ReceiveRawAsync($"{queue}.dlq", 1));
        var deadAfter = started.Elapsed;
        var recovered = await succeeded.Task.WaitAsync(ServiceBusTestBroker.WaitTimeout);
        await processor.StopAsync();

        Assert.Equal("always-fails", dead.Properties.MessageId);
        Assert.Equal(DeadLetterMessageException.Reasons.MaxDeliveryCountExceeded, dead.ApplicationProperties[ServiceBusDialect.DeadLetterReasonProperty]);
        Assert.Contains("TimeoutException", (string)dead.ApplicationProperties[ServiceBusDialect.DeadLetterErrorDescriptionProperty], StringComparison.Ordinal);
        Assert.Equal(3, log.Counts["always-fails"]);
        Assert.Equal([1, 2, 3], log.Messages.Where(m => m.MessageId == "always-fails").Select(m => m.DeliveryCount));
        Assert.Equal(2, recovered.DeliveryCount);

        // Each failed delivery waited before its abandon: 300 ms, then 600 ms.
        Assert.True(deadAfter >= TimeSpan.FromMilliseconds(900), $"dead-lettered after {deadAfter}");
        Assert.Equal(2, log.Counts["flaky"]);
        Assert.Empty(await ServiceBusTestBroker.ReceiveRawAsync(queue, 1, timeout: TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task Process_TwoCompetingConsumers5000Messages_EachHandledExactlyOnce()
    {
        const int Count = 5000;
        var queue = await ServiceBusTestBroker.CreateQueueAsync("compete");
        // Two connections: two worker processes competing for one queue.
        await using var first = ServiceBusTestBroker.Connect();
        await using var second = ServiceBusTestBroker.Connect();
        var log = new HandledLog();
        var perConsumer = new int[2];
        await using var one = new ServiceBusProcessor(first, ServiceBusEntity.Queue(queue), (message, _) =>
        {
            log.Record(message);
            Interlocked.Increment(ref perConsumer[0]);
            return Task.CompletedTask;
        });
        await using var two = new ServiceBusProcessor(second, ServiceBusEntity.Queue(queue), (message, _) =>
        {
            log.Record(message);
            Interlocked.Increment(ref perConsumer[1]);
            return Task.CompletedTask;
        });
        await one.StartAsync();
        await two.StartAsync();
        var sender = new ServiceBusSender(first);

        await Parallel.ForEachAsync(Enumerable.Range(0, Count), new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (i, token) =>
            await sender.SendToQueueAsync(queue, new ServiceBusMessage(Encoding.UTF8.GetBytes($$"""{"n":{{i}}}""")) { MessageId = $"compete-{i}" }, token));
        await ServiceBusTestBroker.WaitUntilAsync(() => log.Counts.Count >= Count, TimeSpan.FromSeconds(30), "all messages handled");
        await Task.Delay(500);
        await one.StopAsync();
        await two.StopAsync();

        Assert.Equal(Count, log.Counts.Count);
        Assert.All(log.Counts, pair => Assert.Equal(1, pair.Value));
        Assert.Equal(Count, log.Messages.Count);
        Assert.True(perConsumer[0] > 0 && perConsumer[1] > 0, $"both consumers should take a share: {perConsumer[0]} / {perConsumer[1]}");
        // No connection was lost on the way (RabbitMQ's credit overrun would have forced a reconnect).
        Assert.Equal(1, first.OpenedCount);
        Assert.Equal(1, second.OpenedCount);
        Assert.Empty(await ServiceBusTestBroker.ReceiveRawAsync(queue, 1, timeout: TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task StopAsync_HandlersInFlight_SettlesThemAndReleasesPrefetched()
    {
        const int Count = 300;
        var queue = await ServiceBusTestBroker.CreateQueueAsync("stop");
        await using var connection = ServiceBusTestBroker.Connect(options => options.MaxConcurrentCalls = 2);
        var sender = new ServiceBusSender(connection);
        await Parallel.ForEachAsync(Enumerable.Range(0, Count), async (i, token) =>
            await sender.SendToQueueAsync(queue, new ServiceBusMessage("{}"u8.ToArray()) { MessageId = $"stop-{i}" }, token));
        var log = new HandledLog();
        var processor = new ServiceBusProcessor(connection, ServiceBusEntity.Queue(queue), async (message, token) =>
        {
            await Task.Delay(50, token);
            log.Record(message);
        });
        await processor.StartAsync();
        await ServiceBusTestBroker.WaitUntilAsync(() => log.Counts.Count >= 10, because: "a few handled");

        await processor.StopAsync();
        var handled = log.Counts.Keys.ToHashSet();
        var left = await ServiceBusTestBroker.ReceiveRawAsync(queue, Count - handled.Count);

        // Every message is either handled (and completed) or back in the queue: none lost, none twice.
        Assert.Equal(Count - handled.Count, left.Count);
        Assert.Equal(1, connection.OpenedCount);
        Assert.Empty(left.Select(m => m.Properties.MessageId).Intersect(handled));
    }

    [Fact]
    public async Task TriggerHost_HandlerDeclaredByAttribute_StartsListenerAndHandles()
    {
        var queue = await ServiceBusTestBroker.CreateQueueAsync("host");
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
        await provider.GetRequiredService<ServiceBusSender>().SendToQueueAsync(queue, new ServiceBusMessage("""{"offeringId":"o-1"}"""u8.ToArray()) { MessageId = "host-1" });
        await ServiceBusTestBroker.WaitUntilAsync(() => seen.Counts.ContainsKey("host-1"), because: "the trigger handled the message");
        await host.StopAsync(CancellationToken.None);

        Assert.Equal(1, seen.Counts["host-1"]);
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
