using Amqp;

namespace EcosystemFlows.Azure.ServiceBus;

/// <summary>Sends a message to an address over the shared connection (pooled links, reconnect, retry).</summary>
internal interface IAmqpSendPath
{
    /// <summary>Sends the message built by <paramref name="message"/> (built anew per attempt) and waits for the broker's accept.</summary>
    Task SendAsync(string address, Func<Message> message, CancellationToken cancellationToken);
}
