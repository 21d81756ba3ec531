using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using EcosystemFlows.Azure.ServiceBus;
using EcosystemFlows.Azure.ServiceBus.Triggers;
using EcosystemFlows.Domain.Offerings;
using EcosystemFlows.Domain.Validation;

namespace EcosystemFlows.Workflows.JointOffering;

/// <summary>The commands integrations (CRM, marketplace) send on <c>offering-commands</c>.</summary>
public enum OfferingCommandType
{
    StartJointOffering,
    RecordSignOff,
    CancelOffering,
}

/// <summary>The acting user as the integration vouches for it; checked exactly like a token's claims.</summary>
public sealed record CommandActor(string UserId, string? Organisation, IReadOnlyList<string> Roles);

/// <summary>
/// One command message. Which fields matter depends on <see cref="Command"/>: start needs
/// <see cref="IdempotencyKey"/> and <see cref="Terms"/>; sign-off <see cref="OfferingId"/>, <see cref="GateId"/>,
/// <see cref="Approve"/> and <see cref="TermsHash"/>; cancel <see cref="OfferingId"/>.
/// </summary>
public sealed record OfferingCommandMessage
{
    public required OfferingCommandType Command { get; init; }

    public required CommandActor Actor { get; init; }

    public string? IdempotencyKey { get; init; }

    public OfferingTerms? Terms { get; init; }

    public int? SignOffWindowDays { get; init; }

    public string? OfferingId { get; init; }

    public string? GateId { get; init; }

    public bool? Approve { get; init; }

    public string? Comment { get; init; }

    public string? TermsHash { get; init; }

    public string? Reason { get; init; }
}

/// <summary>Source-generated JSON for command messages: enums by name, web (camelCase) naming.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UseStringEnumConverter = true)]
[JsonSerializable(typeof(OfferingCommandMessage))]
public sealed partial class CommandJsonContext : JsonSerializerContext;

/// <summary>
/// The <c>offering-commands</c> trigger: the same <see cref="OfferingCommands"/> as HTTP. A command the
/// rules refuse is dead-lettered at once with the refusal as its reason (retrying cannot change the
/// answer); an unexpected failure propagates, so the message is retried and dead-lettered after the
/// maximum delivery count.
/// </summary>
[ServiceBusTrigger(QueueName)]
public sealed class OfferingCommandsFunction(OfferingCommands commands) : ServiceBusJsonHandler<OfferingCommandMessage>
{
    public const string QueueName = "offering-commands";

    /// <inheritdoc />
    protected override JsonTypeInfo<OfferingCommandMessage> JsonTypeInfo => CommandJsonContext.Default.OfferingCommandMessage;

    /// <inheritdoc />
    protected override IEnumerable<string> Validate(OfferingCommandMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (string.IsNullOrWhiteSpace(message.Actor?.UserId))
        {
            yield return "actor.userId: is required";
        }
        else if (!Identifiers.IsValid(message.Actor.UserId))
        {
            yield return $"actor.userId: {Identifiers.Rule}";
        }

        if (message.Actor?.Organisation is { } organisation && !Identifiers.IsValid(organisation))
        {
            yield return $"actor.organisation: {Identifiers.Rule}";
        }

        if (message.Actor?.Roles is { Count: > 10 })
        {
            yield return "actor.roles: must list at most 10 roles";
        }

        if (!Enum.IsDefined(message.Command))
        {
            yield return $"command: must be one of {string.Join(", ", Enum.GetNames<OfferingCommandType>())}";
            yield break;
        }

        var required = message.Command switch
        {
            OfferingCommandType.StartJointOffering => new[] { ("idempotencyKey", message.IdempotencyKey), ("terms", message.Terms is null ? null : "set") },
            OfferingCommandType.RecordSignOff => [("offeringId", message.OfferingId), ("gateId", message.GateId), ("termsHash", message.TermsHash), ("approve", message.Approve?.ToString())],
            _ => [("offeringId", message.OfferingId)],
        };
        foreach (var (field, value) in required.Where(r => string.IsNullOrWhiteSpace(r.Item2)))
        {
            yield return $"{field}: is required for {message.Command}";
        }
    }

    /// <inheritdoc />
    protected override async Task HandleAsync(OfferingCommandMessage message, ServiceBusReceivedMessage received, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var actor = new Actor(message.Actor.UserId, message.Actor.Organisation, message.Actor.Roles ?? []);
        var result = message.Command switch
        {
            OfferingCommandType.StartJointOffering => await commands.StartAsync(actor, message.IdempotencyKey, message.Terms, message.SignOffWindowDays, cancellationToken),
            OfferingCommandType.RecordSignOff => await commands.SignOffAsync(actor, message.OfferingId!, message.GateId!, message.Approve!.Value, message.Comment, message.TermsHash, cancellationToken),
            _ => await commands.CancelAsync(actor, message.OfferingId!, message.Reason, cancellationToken),
        };
        if (!result.Accepted)
        {
            throw new DeadLetterMessageException($"{message.Command}Refused", $"{result.Status} {result.Title}: {result.Detail}");
        }
    }
}
