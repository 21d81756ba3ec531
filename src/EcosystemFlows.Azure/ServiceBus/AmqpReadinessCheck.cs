using Amqp;
using Amqp.Sasl;
using EcosystemFlows.Azure.Health;
using Microsoft.Extensions.Options;

namespace EcosystemFlows.Azure.ServiceBus;

/// <summary>Ready when an AMQP 1.0 connection to the Service Bus namespace (or local broker) opens.</summary>
public sealed class AmqpReadinessCheck(IOptions<ServiceBusOptions> options)
    : DependencyReadinessCheck("Service Bus (AMQP)", Describe(options.Value.Parsed))
{
    /// <inheritdoc />
    protected override async Task ProbeAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var parsed = settings.Parsed;
        var factory = new ConnectionFactory();
        Address address;
        if (parsed.UseDevelopmentEmulator)
        {
            address = new Address(parsed.Host, parsed.Port, parsed.SharedAccessKeyName, parsed.SharedAccessKey, "/", "amqp");
        }
        else
        {
            // Azure Service Bus authenticates per link through CBS after an anonymous SASL handshake.
            factory.SASL.Profile = SaslProfile.Anonymous;
            address = new Address(parsed.Host, parsed.Port, null, null, "/", parsed.UseTls ? "amqps" : "amqp");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.ConnectTimeout);
        var opening = factory.CreateAsync(address);
        Connection connection;
        try
        {
            connection = await opening.WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The open may still complete later; close it then so no connection leaks.
            _ = opening.ContinueWith(t => t.Result.CloseAsync(), TaskContinuationOptions.OnlyOnRanToCompletion);
            throw new TimeoutException($"no AMQP connection within {settings.ConnectTimeout.TotalSeconds:0} s");
        }

        await connection.CloseAsync().ConfigureAwait(false);
    }

    private static string Describe(ServiceBusConnectionString parsed) =>
        $"{(parsed.UseTls ? "amqps" : "amqp")}://{parsed.Host}:{parsed.Port}";
}
