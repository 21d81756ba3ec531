using System.Text.Json;
using Azure.Messaging.ServiceBus;
using Azure.Storage.Blobs;
using EcosystemFlows.Azure.Offerings;
using EcosystemFlows.Domain.Offerings;
using Microsoft.Azure.Cosmos;

namespace EcosystemFlows.Bench.Faults;

/// <summary>Any document of the offerings or catalog container, read with the app's document JSON.</summary>
internal sealed record Doc(
    string Id,
    string? DocType,
    string? OfferingId,
    string? Stage,
    bool? IsActive,
    string? SkuCode,
    OfferingTerms? Terms,
    int? Sequence,
    DateTime? At,
    string? Actor,
    string? Action,
    string? Detail,
    bool? Retired,
    bool? Ended,
    string? CatalogId);

/// <summary>One event as a subscription delivered it.</summary>
internal sealed record ReceivedEvent(string Subscription, string Id, string OfferingId, string Type, int Sequence);

/// <summary>One dead-lettered or left-over message.</summary>
internal sealed record ParkedMessage(string Queue, string? MessageId, string? Reason, string? Description);

/// <summary>
/// What the services hold at the end, read directly (not through the app): Cosmos containers, the event
/// subscriptions, the dead-letter queues, what is left on <c>offering-commands</c>, and the task hub's poison store.
/// </summary>
internal sealed class EndState
{
    public static readonly string[] Subscriptions = ["audit", "e2e"];

    /// <summary>The label of dead-lettered commands: the queue's dead-letter sub-queue (<see cref="SubQueue.DeadLetter"/>).</summary>
    public const string DeadLetteredCommands = "offering-commands/$DeadLetterQueue";

    public required IReadOnlyList<Doc> Offerings { get; init; }

    public required IReadOnlyList<Doc> Catalog { get; init; }

    public List<ReceivedEvent> Events { get; } = [];

    public List<ParkedMessage> DeadLettered { get; } = [];

    public List<ParkedMessage> LeftOver { get; } = [];

    public List<ParkedMessage> Poisoned { get; } = [];

    public static async Task<(IReadOnlyList<Doc> Offerings, IReadOnlyList<Doc> Catalog)> ReadCosmosAsync(Database database)
    {
        // Pages as large as the service allows (-1: up to 4 MB each): every page of a query costs the stand-in a pass over the container.
        var all = new QueryDefinition("SELECT * FROM c");
        var offerings = await OfferingData.QueryAllAsync<Doc>(database.GetContainer("offerings"), all, partitionKey: null, CancellationToken.None, maxItemCount: -1);
        var catalog = await OfferingData.QueryAllAsync<Doc>(database.GetContainer("catalog"), all, partitionKey: null, CancellationToken.None, maxItemCount: -1);
        return (offerings, catalog);
    }

    /// <summary>Reads the messages of the broker and the poison store (the app must be stopped: nothing may consume them meanwhile).</summary>
    public async Task ReadMessagesAsync(ServiceBusClient client, BlobContainerClient poison)
    {
        foreach (var subscription in Subscriptions)
        {
            await DrainAsync(client.CreateReceiver("offering-events", subscription), message =>
            {
                var cloudEvent = JsonDocument.Parse(message.Body.ToMemory()).RootElement;
                var data = cloudEvent.GetProperty("data");
                Events.Add(new ReceivedEvent(
                    subscription,
                    cloudEvent.GetProperty("id").GetString()!,
                    data.GetProperty("offeringId").GetString()!,
                    cloudEvent.GetProperty("type").GetString()!.Replace("com.ecosystemflows.", "", StringComparison.Ordinal),
                    data.GetProperty("sequence").GetInt32()));
            });
        }

        var deadLetters = new ServiceBusReceiverOptions { SubQueue = SubQueue.DeadLetter };
        await DrainAsync(client.CreateReceiver("offering-commands", deadLetters), message => Park(DeadLettered, DeadLetteredCommands, message));
        foreach (var subscription in Subscriptions)
        {
            await DrainAsync(client.CreateReceiver("offering-events", subscription, deadLetters), message => Park(DeadLettered, $"offering-events/Subscriptions/{subscription}/$DeadLetterQueue", message));
        }

        await DrainAsync(client.CreateReceiver("offering-commands"), message => Park(LeftOver, "offering-commands", message));

        // What the drain could not receive is still locked (by the app killed last): unsettled as well.
        await using (var peeker = client.CreateReceiver("offering-commands"))
        {
            foreach (var message in await peeker.PeekMessagesAsync(1000, fromSequenceNumber: 0))
            {
                Park(LeftOver, "offering-commands (locked)", message);
            }
        }

        if (await poison.ExistsAsync())
        {
            await foreach (var blob in poison.GetBlobsAsync())
            {
                var record = JsonDocument.Parse((await poison.GetBlobClient(blob.Name).DownloadContentAsync()).Value.Content.ToString()).RootElement;
                var reason = record.TryGetProperty("reason", out var r) ? r.GetString() : null;
                Poisoned.Add(new ParkedMessage(poison.Name, blob.Name, reason, null));
            }
        }
    }

    private static void Park(List<ParkedMessage> into, string queue, ServiceBusReceivedMessage message) =>
        into.Add(new ParkedMessage(queue, message.MessageId, message.DeadLetterReason, message.DeadLetterErrorDescription));

    /// <summary>
    /// Receives (peek-lock, then complete) everything <paramref name="receiver"/> reaches until it has been quiet
    /// for 3 s, then closes it. Messages an app killed mid-handling still had locked come back only after their lock
    /// (LockDuration, 1 min): the driver waits for offering-commands to empty before it stops the app, and what is still
    /// locked at the end is peeked and reported.
    /// </summary>
    private static async Task DrainAsync(ServiceBusReceiver receiver, Action<ServiceBusReceivedMessage> take)
    {
        await using (receiver.ConfigureAwait(false))
        {
            while (await receiver.ReceiveMessagesAsync(500, TimeSpan.FromSeconds(3)) is { Count: > 0 } batch)
            {
                foreach (var message in batch)
                {
                    take(message);
                    await receiver.CompleteMessageAsync(message);
                }
            }
        }
    }
}
