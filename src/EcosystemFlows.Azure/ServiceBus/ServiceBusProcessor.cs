using System.Diagnostics;
using Azure.Messaging.ServiceBus;
using Microsoft.Extensions.Logging;
using SdkProcessor = Azure.Messaging.ServiceBus.ServiceBusProcessor;
using SdkReceivedMessage = Azure.Messaging.ServiceBus.ServiceBusReceivedMessage;

namespace EcosystemFlows.Azure.ServiceBus;

/// <summary>
/// The SDK's <see cref="SdkProcessor"/> on one entity (peek-lock, <c>AutoCompleteMessages=false</c>) with the
/// app's settlement rules in one place: completed when the handler returns; dead-lettered at once with a reason
/// and description for a <see cref="DeadLetterMessageException"/> or an oversized body; on any other failure
/// abandoned after a back-off (so a dependency restarting for seconds does not use up the delivery count), and
/// dead-lettered with the failure as description on the last allowed delivery. The back-off holds the lock for at
/// most a quarter of the lock time left (see <see cref="BackOff"/>). A lost lock on settlement is
/// normal: the namespace redelivers the message.
/// </summary>
public sealed class ServiceBusProcessor : IAsyncDisposable
{
    private readonly ServiceBusEntity _entity;
    private readonly Func<ServiceBusReceivedMessage, CancellationToken, Task> _handler;
    private readonly ServiceBusOptions _options;
    private readonly ILogger _logger;
    private readonly SdkProcessor _processor;
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>Creates a processor for <paramref name="entity"/> on <paramref name="client"/>.</summary>
    public ServiceBusProcessor(
        ServiceBusClient client,
        ServiceBusEntity entity,
        Func<ServiceBusReceivedMessage, CancellationToken, Task> handler,
        ServiceBusOptions options,
        ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(entity);
        ArgumentNullException.ThrowIfNull(options);
        _entity = entity;
        _handler = handler;
        _options = options;
        _logger = logger;
        var processorOptions = new ServiceBusProcessorOptions
        {
            AutoCompleteMessages = false,
            ReceiveMode = ServiceBusReceiveMode.PeekLock,
            MaxConcurrentCalls = options.MaxConcurrentCalls,
            PrefetchCount = options.PrefetchCount,
        };
        _processor = entity.Subscription is null
            ? client.CreateProcessor(entity.Name, processorOptions)
            : client.CreateProcessor(entity.Name, entity.Subscription, processorOptions);
        _processor.ProcessMessageAsync += ProcessAsync;
        _processor.ProcessErrorAsync += OnErrorAsync;
    }

    /// <summary>The entity this processor receives from.</summary>
    public ServiceBusEntity Entity => _entity;

    /// <summary>Starts receiving (the SDK re-connects by itself after a loss).</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await _processor.StartProcessingAsync(cancellationToken).ConfigureAwait(false);
        ServiceBusLog.ReceiverAttached(_logger, _entity.ToString(), _options.PrefetchCount, _options.MaxConcurrentCalls);
    }

    /// <summary>
    /// Stops: no new messages, handlers in flight finish and settle (cancelled after
    /// <see cref="ServiceBusOptions.ShutdownTimeout"/>; their messages then come back after their lock).
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (!_processor.IsProcessing)
        {
            return;
        }

        _stopping.CancelAfter(_options.ShutdownTimeout);
        await _processor.StopProcessingAsync(cancellationToken).ConfigureAwait(false);
        ServiceBusLog.ProcessorStopped(_logger, _entity.ToString());
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await _processor.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    /// <summary>The app's view of an SDK message.</summary>
    internal static ServiceBusReceivedMessage FromSdk(SdkReceivedMessage message, ServiceBusEntity entity) => new()
    {
        Body = message.Body.ToMemory(),
        MessageId = message.MessageId,
        CorrelationId = message.CorrelationId,
        Subject = message.Subject,
        ContentType = message.ContentType,
        ReplyTo = message.ReplyTo,
        TimeToLive = message.TimeToLive == TimeSpan.MaxValue ? null : message.TimeToLive,
        DeliveryCount = message.DeliveryCount,
        Entity = entity,
        ApplicationProperties = message.ApplicationProperties.ToDictionary(p => p.Key, p => (object?)p.Value, StringComparer.Ordinal),
    };

    private async Task ProcessAsync(ProcessMessageEventArgs args)
    {
        var message = args.Message;
        using var activity = ServiceBusSender.ActivitySource.StartActivity(
            $"process {_entity}", ActivityKind.Consumer, ServiceBusSender.ParentId(message.ApplicationProperties));
        activity?.SetTag("messaging.system", "servicebus");
        activity?.SetTag("messaging.message.id", message.MessageId);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(args.CancellationToken, _stopping.Token);
        var outcome = await HandleAsync(message, cancel.Token).ConfigureAwait(false);
        await SettleAsync(args, message, outcome).ConfigureAwait(false);
    }

    private async Task<Outcome> HandleAsync(SdkReceivedMessage message, CancellationToken cancellationToken)
    {
        var size = message.Body.ToMemory().Length;
        if (size > _options.MaxMessageBytes)
        {
            return Outcome.DeadLetter(DeadLetterMessageException.Reasons.MessageTooLarge,
                $"the body has {size} bytes; at most {_options.MaxMessageBytes} are accepted");
        }

        var received = FromSdk(message, _entity);
        try
        {
            await _handler(received, cancellationToken).ConfigureAwait(false);
            if (_options.DuplicateDelivery)
            {
                // The test switch: the redelivery a lost settlement would cause, handled like any delivery.
                await _handler(received with { DeliveryCount = received.DeliveryCount + 1 }, cancellationToken).ConfigureAwait(false);
            }

            return Outcome.Complete;
        }
        catch (DeadLetterMessageException ex)
        {
            return Outcome.DeadLetter(ex.Reason, ex.Description);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: abandoned at once, for whoever receives next.
            return Outcome.Abandon;
        }
        catch (Exception ex)
        {
            Activity.Current?.SetStatus(ActivityStatusCode.Error, ex.Message);
            if (received.DeliveryCount >= _options.MaxDeliveryCount)
            {
                return Outcome.DeadLetter(DeadLetterMessageException.Reasons.MaxDeliveryCountExceeded,
                    $"delivery {received.DeliveryCount} of {_options.MaxDeliveryCount} failed: {ex.GetType().Name}: {ex.Message}");
            }

            ServiceBusLog.HandlerFailed(_logger, ex, _entity.ToString(), message.MessageId, received.DeliveryCount, _options.MaxDeliveryCount);
            try
            {
                await Task.Delay(BackOff(_options.RetryDelay, received.DeliveryCount, message.LockedUntil, DateTimeOffset.UtcNow), cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopping: abandoned at once.
            }

            return Outcome.Abandon;
        }
    }

    /// <summary>The one place messages are settled.</summary>
    private async Task SettleAsync(ProcessMessageEventArgs args, SdkReceivedMessage message, Outcome outcome)
    {
        try
        {
            switch (outcome.Kind)
            {
                case OutcomeKind.Complete:
                    await args.CompleteMessageAsync(message, CancellationToken.None).ConfigureAwait(false);
                    break;
                case OutcomeKind.Abandon:
                    await args.AbandonMessageAsync(message, cancellationToken: CancellationToken.None).ConfigureAwait(false);
                    break;
                default:
                    ServiceBusLog.DeadLettered(_logger, _entity.ToString(), message.MessageId, outcome.Reason!, outcome.Description!);
                    await args.DeadLetterMessageAsync(message, outcome.Reason, outcome.Description, CancellationToken.None).ConfigureAwait(false);
                    break;
            }
        }
        catch (ServiceBusException ex) when (ex.Reason == ServiceBusFailureReason.MessageLockLost)
        {
            // Normal: the lock expired or the link dropped; the namespace delivers the message again.
            ServiceBusLog.SettleFailed(_logger, ex, _entity.ToString(), message.MessageId);
        }
    }

    private Task OnErrorAsync(ProcessErrorEventArgs args)
    {
        ServiceBusLog.AttachFailed(_logger, args.Exception, $"{_entity} ({args.ErrorSource})");
        return Task.CompletedTask;
    }

    /// <summary>
    /// How long a failed delivery waits, still locked, before it is abandoned: <see cref="ServiceBusOptions.RetryDelay"/>
    /// doubled per delivery (at most 30 s), but never more than a quarter of the lock time left.
    /// </summary>
    /// <remarks>
    /// Why wait at all (issue decision): abandoning at once would spend the whole delivery count within
    /// milliseconds while a dependency restarts, dead-lettering good commands. Why cap by the lock: a wait that
    /// reaches the lock's expiry loses the lock, so the abandon fails, the message comes back without the app's
    /// settlement and another instance may already hold it; and a held lock keeps the message from every other
    /// consumer. A quarter of the remaining lock leaves the abandon ample time and keeps the hold short; with the
    /// default one-minute lock a back-off is at most about 15 s.
    /// </remarks>
    internal static TimeSpan BackOff(TimeSpan retryDelay, int deliveryCount, DateTimeOffset lockedUntil, DateTimeOffset now)
    {
        var wanted = Math.Min(retryDelay.Ticks << Math.Clamp(deliveryCount - 1, 0, 16), MaxRetryDelay.Ticks);
        var lockLeft = Math.Max((lockedUntil - now).Ticks, 0);
        return TimeSpan.FromTicks(Math.Min(wanted, lockLeft / LockFractionDivisor));
    }

    /// <summary>The longest back-off whatever the lock (also <see cref="ServiceBusOptions.RetryDelay"/>'s upper bound).</summary>
    internal static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);

    /// <summary>A back-off holds the lock for at most 1/<c>LockFractionDivisor</c> of the time left on it.</summary>
    internal const int LockFractionDivisor = 4;

    private enum OutcomeKind
    {
        Complete,
        Abandon,
        DeadLetter,
    }

    private readonly record struct Outcome(OutcomeKind Kind, string? Reason = null, string? Description = null)
    {
        public static Outcome Complete => new(OutcomeKind.Complete);

        public static Outcome Abandon => new(OutcomeKind.Abandon);

        public static Outcome DeadLetter(string reason, string description) => new(OutcomeKind.DeadLetter, reason, description);
    }
}
