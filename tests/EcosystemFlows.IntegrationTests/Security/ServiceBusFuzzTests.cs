using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EcosystemFlows.Azure.ServiceBus;
using EcosystemFlows.Domain.Partners;
using EcosystemFlows.Domain.Ports;
using EcosystemFlows.Domain.Tests;
using EcosystemFlows.IntegrationTests.ServiceBus;
using EcosystemFlows.Tests.Shared;
using EcosystemFlows.Workflows.JointOffering;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Moq;
using Xunit.Abstractions;

namespace EcosystemFlows.IntegrationTests.Security;

/// <summary>
/// ≥ 1,000 malformed or refused commands on a queue of the local Service Bus emulator, processed by the real trigger
/// host (SDK processor) and the real <see cref="OfferingCommandsFunction"/>: every one must be dead-lettered with a
/// reason (none lost: count in = count dead-lettered), none may crash the handler (a crash would be
/// retried, then dead-lettered as MaxDeliveryCountExceeded), and a valid command sent afterwards must
/// still be processed. Seeded (ECOFLOWS_FUZZ_SEED); counts go to bench/results/faults.json.
/// </summary>
public sealed class ServiceBusFuzzTests(ITestOutputHelper output)
{
    private const int MessageCount = 1_000;
    private const int MaxMessageBytes = 16 * 1024;

    [Fact]
    public async Task Fuzz_ThousandMalformedCommands_AllDeadLetteredWithReasonListenerSurvives()
    {
        // Arrange
        var seed = int.TryParse(Environment.GetEnvironmentVariable("ECOFLOWS_FUZZ_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var chosen) ? chosen : 20261123;
        output.WriteLine($"Service Bus fuzz seed: {seed}");
        var queue = await ServiceBusTestBroker.PurgeAsync("it-fuzz");
        var run = ServiceBusTestBroker.RunPrefix("fuzz");
        var started = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var host = BuildHost(queue, started);
        await host.StartAsync();
        var sender = host.Services.GetRequiredService<ServiceBusSender>();
        var random = new Random(seed);

        try
        {
            // Act
            for (var i = 0; i < MessageCount; i++)
            {
                var message = new ServiceBusMessage(Generate(random, i))
                {
                    MessageId = $"{run}{i}",
                    ContentType = "application/json",
                    ApplicationProperties = new Dictionary<string, object?> { ["fuzzIndex"] = i },
                };
                await sender.SendToQueueAsync(queue, message);
            }

            var dead = await ServiceBusTestBroker.ReceiveDeadLettersAsync(queue, MessageCount, m => m.MessageId.StartsWith(run, StringComparison.Ordinal), TimeSpan.FromSeconds(120));
            var valid = JsonSerializer.SerializeToUtf8Bytes(new OfferingCommandMessage
            {
                Command = OfferingCommandType.StartJointOffering,
                Actor = new CommandActor("alice", "contoso", ["partner"]),
                IdempotencyKey = "after-the-fuzz",
                Terms = Examples.Terms(),
            }, CommandJsonContext.Default.OfferingCommandMessage);
            await sender.SendToQueueAsync(queue, new ServiceBusMessage(valid) { MessageId = $"{run}valid-after-fuzz" });
            var startedId = await started.Task.WaitAsync(TimeSpan.FromSeconds(30));

            // Assert
            var reasons = dead.Select(m => m.DeadLetterReason).ToList();
            var byReason = reasons.GroupBy(r => r ?? "(none)").OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count());
            var indexes = dead.Select(m => Convert.ToInt32(m.ApplicationProperties["fuzzIndex"], CultureInfo.InvariantCulture)).ToHashSet();
            output.WriteLine($"sent {MessageCount}, dead-lettered {dead.Count}: {string.Join(", ", byReason.Select(r => $"{r.Key}×{r.Value}"))}");
            FaultsReport.WriteSecurity("servicebus_fuzz", new JsonObject
            {
                ["seed"] = seed,
                ["sent"] = MessageCount,
                ["dead_lettered"] = dead.Count,
                ["distinct_dead_lettered"] = indexes.Count,
                ["with_reason"] = reasons.Count(r => !string.IsNullOrEmpty(r)),
                ["lost"] = MessageCount - indexes.Count,
                ["by_reason"] = new JsonObject(byReason.Select(r => KeyValuePair.Create(r.Key, (JsonNode?)r.Value))),
                ["valid_after_processed"] = startedId == OfferingCommands.OfferingIdFor("contoso", "after-the-fuzz"),
            });
            Assert.Equal(MessageCount, indexes.Count);
            Assert.Equal(MessageCount, dead.Count);
            Assert.All(reasons, r => Assert.False(string.IsNullOrEmpty(r)));
            Assert.All(dead, m => Assert.False(string.IsNullOrEmpty(m.DeadLetterErrorDescription)));
            Assert.DoesNotContain(DeadLetterMessageException.Reasons.MaxDeliveryCountExceeded, reasons);
            Assert.Equal(OfferingCommands.OfferingIdFor("contoso", "after-the-fuzz"), startedId);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    private static IHost BuildHost(string queue, TaskCompletionSource<string> started)
    {
        var partners = Examples.Partners();
        var directory = new Mock<IPartnerDirectory>();
        directory.Setup(d => d.GetManyAsync(It.IsAny<IReadOnlyCollection<string>>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((IReadOnlyCollection<string> ids, CancellationToken _) => (IReadOnlyDictionary<string, Partner>)ids.Where(partners.ContainsKey).Distinct().ToDictionary(id => id, id => partners[id]));
        // No offering exists: every sign-off and cancel in the fuzz addresses a missing one (a 404 refusal).
        var client = new Mock<DurableTaskClient>("fuzz") { CallBase = true };
        client.Setup(c => c.GetInstancesAsync(It.IsAny<string>(), It.IsAny<bool>(), It.IsAny<CancellationToken>())).ReturnsAsync((OrchestrationMetadata?)null);
        client.Setup(c => c.ScheduleNewOrchestrationInstanceAsync(It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<StartOrchestrationOptions?>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((TaskName _, object? _, StartOrchestrationOptions? options, CancellationToken _) =>
            {
                started.TrySetResult(options!.InstanceId!);
                return options.InstanceId!;
            });

        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton(Options.Create(ServiceBusTestBroker.Options(o =>
        {
            o.MaxMessageBytes = MaxMessageBytes;
            // A handler crash must show at once as MaxDeliveryCountExceeded, which the test refuses.
            o.MaxDeliveryCount = 1;
        })));
        builder.Services.AddSingleton(client.Object);
        builder.Services.AddSingleton(directory.Object);
        builder.Services.AddSingleton(new Mock<IOfferingStore>().Object);
        builder.Services.AddScoped<OfferingCommands>();
        builder.Services.AddServiceBusTrigger<OfferingCommandsFunction>(ServiceBusEntity.Queue(queue));
        return builder.Build();
    }

    /// <summary>One malformed or refused command: bad JSON or bytes, wrong types, missing or hostile fields, refused by the rules, too large.</summary>
    private static byte[] Generate(Random random, int index)
    {
        string[] hostile = ["' OR 1=1 --", "a/b", "a#b", "a?b", "..\\..", "<script>", "\u0000", "line\r\nbreak", new string('x', 300), "", " "];
        string Pick(string[] values) => values[random.Next(values.Length)];
        var actor = new JsonObject { ["userId"] = "alice", ["organisation"] = "contoso", ["roles"] = new JsonArray("partner", "approver") };
        var command = new JsonObject
        {
            ["command"] = Pick(["StartJointOffering", "RecordSignOff", "CancelOffering"]),
            ["actor"] = actor,
            ["idempotencyKey"] = $"fuzz-{index}",
            ["offeringId"] = "off-00000000000000000000",
            ["gateId"] = "member-contoso",
            ["approve"] = true,
            ["termsHash"] = "v1:x",
        };
        switch (index % 12)
        {
            case 0: return [0xFF, 0xFE, 0x7B, 0xC3, 0x28];
            case 1: return Encoding.UTF8.GetBytes("{\"command\":" + Pick(["", "nul", "\"Start", "[}"]));
            case 2: return Encoding.UTF8.GetBytes(Pick(["null", "[]", "42", "\"text\"", "{}", "true"]));
            case 3: return Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"a\":", 70 + random.Next(500))) + "1" + new string('}', 70));
            case 4: command["command"] = Pick(["Explode", "99", "", "startjointoffering"]); break;
            case 5: command["command"] = random.Next(3, 1000); break;
            case 6: actor["userId"] = Pick(hostile); break;
            case 7: actor["organisation"] = Pick(["a/b", "#", new string('o', 100)]); break;
            case 8: command.Remove(Pick(["actor", "command"])); break;
            case 9: command["approve"] = Pick(["yes", "1"]); command["command"] = "RecordSignOff"; break;
            case 10:
                // Well-formed, refused by the rules: a missing offering, a role that may not act, no terms, a comment too long.
                command["command"] = Pick(["CancelOffering", "RecordSignOff", "StartJointOffering"]);
                actor["roles"] = new JsonArray(Pick(["integration", "approver", "partner"]));
                command["comment"] = new string('c', random.Next(0, 3000));
                break;
            default:
                command["reason"] = new string('r', MaxMessageBytes + random.Next(1, 4096));
                break;
        }

        return Encoding.UTF8.GetBytes(command.ToJsonString());
    }
}
