using System.Diagnostics.CodeAnalysis;

namespace EcosystemFlows.Azure.ServiceBus;

/// <summary>
/// A parsed Service Bus connection string:
/// <c>Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=…;SharedAccessKey=…[;EntityPath=…]</c>.
/// <c>UseDevelopmentEmulator=true</c> selects a local broker: plain AMQP (no TLS) with SASL PLAIN, the key
/// name and key being the user name and password.
/// </summary>
public sealed record ServiceBusConnectionString(
    Uri Endpoint,
    string? SharedAccessKeyName,
    string? SharedAccessKey,
    string? EntityPath,
    bool UseDevelopmentEmulator)
{
    private const int AmqpPort = 5672;
    private const int AmqpsPort = 5671;

    /// <summary>The broker's host name.</summary>
    public string Host => Endpoint.Host;

    /// <summary>
    /// True when the connection uses TLS: always for <c>sb://</c> and <c>amqps://</c>, never for a
    /// development emulator or an explicit <c>amqp://</c> endpoint (an in-process test peer).
    /// </summary>
    public bool UseTls => !UseDevelopmentEmulator && !Endpoint.Scheme.Equals("amqp", StringComparison.OrdinalIgnoreCase);

    /// <summary>The TCP port: the endpoint's explicit port, else 5671 with TLS or 5672 without.</summary>
    public int Port => Endpoint.IsDefaultPort || Endpoint.Port <= 0 ? (UseTls ? AmqpsPort : AmqpPort) : Endpoint.Port;

    /// <summary>
    /// The endpoint of namespace <paramref name="fullyQualifiedNamespace"/> reached with a Microsoft Entra
    /// identity: <c>sb://</c> (TLS on 5671) and no keys.
    /// </summary>
    public static ServiceBusConnectionString ForNamespace(string fullyQualifiedNamespace) =>
        new(new Uri($"sb://{fullyQualifiedNamespace}/"), null, null, null, UseDevelopmentEmulator: false);

    /// <summary>Parses <paramref name="value"/>; throws <see cref="FormatException"/> naming what is wrong.</summary>
    public static ServiceBusConnectionString Parse(string value) =>
        TryParse(value, out var parsed, out var error) ? parsed : throw new FormatException(error);

    /// <summary>Parses <paramref name="value"/>, or explains in <paramref name="error"/> why it cannot.</summary>
    public static bool TryParse(
        string? value,
        [NotNullWhen(true)] out ServiceBusConnectionString? result,
        [NotNullWhen(false)] out string? error)
    {
        result = null;
        if (string.IsNullOrWhiteSpace(value))
        {
            error = "the connection string is empty";
            return false;
        }

        var parts = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var segment in value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = segment.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                error = $"segment '{Redact(segment)}' is not Key=Value";
                return false;
            }

            // Values (keys in particular) may themselves contain '='; only the first one separates.
            parts[segment[..equals].Trim()] = segment[(equals + 1)..].Trim();
        }

        if (!parts.TryGetValue("Endpoint", out var endpointText) ||
            !Uri.TryCreate(endpointText, UriKind.Absolute, out var endpoint) ||
            endpoint.Scheme is not ("sb" or "amqp" or "amqps"))
        {
            error = "Endpoint is missing or not an sb://, amqp:// or amqps:// URI";
            return false;
        }

        var emulator = parts.TryGetValue("UseDevelopmentEmulator", out var flag) &&
            bool.TryParse(flag, out var isEmulator) && isEmulator;
        parts.TryGetValue("SharedAccessKeyName", out var keyName);
        parts.TryGetValue("SharedAccessKey", out var key);
        if (string.IsNullOrEmpty(keyName) != string.IsNullOrEmpty(key))
        {
            error = "SharedAccessKeyName and SharedAccessKey must be given together";
            return false;
        }

        if (emulator && string.IsNullOrEmpty(keyName))
        {
            error = "a development emulator needs SharedAccessKeyName and SharedAccessKey (its user name and password)";
            return false;
        }

        parts.TryGetValue("EntityPath", out var entityPath);
        result = new ServiceBusConnectionString(endpoint, keyName, key, entityPath, emulator);
        error = null;
        return true;
    }

    /// <summary>Never print the key: the record's generated ToString would.</summary>
    public override string ToString() =>
        $"Endpoint={Endpoint};SharedAccessKeyName={SharedAccessKeyName};SharedAccessKey=***;UseDevelopmentEmulator={UseDevelopmentEmulator}";

    private static string Redact(string segment) => segment.Length <= 4 ? segment : segment[..4] + "…";
}
