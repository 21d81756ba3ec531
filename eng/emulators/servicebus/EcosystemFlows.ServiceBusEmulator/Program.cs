using EcosystemFlows.ServiceBusEmulator.Configuration;
using EcosystemFlows.ServiceBusEmulator.Messaging;
using EcosystemFlows.ServiceBusEmulator.Protocol;
using Microsoft.Extensions.Logging;
using ServiceBusBroker = EcosystemFlows.ServiceBusEmulator.Messaging.Broker;

namespace EcosystemFlows.ServiceBusEmulator;

internal static partial class Program
{
    private const string Usage = """
        EcosystemFlows Service Bus emulator (see eng/emulators/servicebus/README.md)
          --config PATH          entities, in the official emulator's Config.json format (required)
          --port N               AMQP port on 127.0.0.1 (default 5672)
          --data DIR             SQLite data directory (default ./servicebus-data)
          --log LEVEL            Trace, Debug, Information (default), Warning, Error
          --sas-key-name NAME    SAS policy name (default RootManageSharedAccessKey, as the official emulator)
          --sas-key KEY          SAS key (default SAS_KEY_VALUE, as the official emulator)
          --max-message-size N   bytes (default 262144, the Standard tier's 256 KiB)
        """;

    public static int Main(string[] args)
    {
        var options = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] is "-h" or "--help" || !args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                Console.Error.WriteLine(Usage);
                return args[i] is "-h" or "--help" ? 0 : 2;
            }

            options[args[i][2..]] = args[++i];
        }

        if (!options.TryGetValue("config", out var configPath))
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }

        var level = Enum.Parse<LogLevel>(options.GetValueOrDefault("log", "Information"), ignoreCase: true);
        using var loggerFactory = LoggerFactory.Create(b => b.SetMinimumLevel(level).AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        }));
        var logger = loggerFactory.CreateLogger("ServiceBusEmulator");

        var config = EmulatorConfig.Load(configPath);
        var port = int.Parse(options.GetValueOrDefault("port", "5672"), System.Globalization.CultureInfo.InvariantCulture);
        var maxMessageSize = int.Parse(options.GetValueOrDefault("max-message-size", "262144"), System.Globalization.CultureInfo.InvariantCulture);
        var sas = new Sas(options.GetValueOrDefault("sas-key-name", "RootManageSharedAccessKey"), options.GetValueOrDefault("sas-key", "SAS_KEY_VALUE"), TimeProvider.System);

        using var store = new Store(options.GetValueOrDefault("data", "servicebus-data"));
        using var broker = new ServiceBusBroker(config, store, TimeProvider.System, logger);
        broker.Start();
        using var server = new AmqpServer(broker, port, sas, maxMessageSize, logger);
        server.Open();
        LogListening(logger, port, configPath);

        using var stop = new ManualResetEventSlim();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Set();
        };
        AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Set();
        stop.Wait();
        LogStopping(logger);
        return 0;
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Service Bus emulator listening on 127.0.0.1:{Port} (entities from {Config})")]
    private static partial void LogListening(ILogger logger, int port, string config);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Stopping")]
    private static partial void LogStopping(ILogger logger);
}
