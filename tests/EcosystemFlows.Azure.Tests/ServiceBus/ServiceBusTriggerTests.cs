using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using EcosystemFlows.Azure.ServiceBus;
using EcosystemFlows.Azure.ServiceBus.Triggers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EcosystemFlows.Azure.Tests.ServiceBus;

public sealed class ServiceBusTriggerTests
{
    [Fact]
    public void AddServiceBusTrigger_AttributeOnHandler_RegistersEntityHandlerAndHost()
    {
        var services = new ServiceCollection();

        services.AddServiceBusTrigger<CommandHandler>();
        services.AddServiceBusTrigger<AuditHandler>();

        var registrations = services.Where(d => d.ServiceType == typeof(ServiceBusTriggerRegistration))
            .Select(d => (ServiceBusTriggerRegistration)d.ImplementationInstance!).ToList();
        Assert.Equal(
            [new ServiceBusTriggerRegistration(typeof(CommandHandler), ServiceBusEntity.Queue("offering-commands")),
             new ServiceBusTriggerRegistration(typeof(AuditHandler), ServiceBusEntity.TopicSubscription("offering-events", "audit"))],
            registrations);
        Assert.Single(services, d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(ServiceBusTriggerHost));
        Assert.Contains(services, d => d.ServiceType == typeof(CommandHandler) && d.Lifetime == ServiceLifetime.Scoped);
    }

    [Fact]
    public void AddServiceBusTrigger_HandlerWithoutAttribute_ThrowsNamingIt()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddServiceBusTrigger<UnboundHandler>());

        Assert.Contains(nameof(UnboundHandler), error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"offeringId\": ", DeadLetterMessageException.Reasons.DeserializationFailed)]
    [InlineData("null", DeadLetterMessageException.Reasons.DeserializationFailed)]
    [InlineData("{\"partnerId\":\"p\"}", DeadLetterMessageException.Reasons.ValidationFailed)]
    [InlineData("{\"offeringId\":\"forbidden\"}", DeadLetterMessageException.Reasons.ValidationFailed)]
    public async Task HandleAsync_BadBody_DeadLettersWithReason(string body, string reason)
    {
        var handler = new CommandHandler();

        var error = await Assert.ThrowsAsync<DeadLetterMessageException>(() => handler.HandleAsync(Received(body), CancellationToken.None));

        Assert.Equal(reason, error.Reason);
        Assert.Empty(handler.Handled);
    }

    [Fact]
    public async Task HandleAsync_ValidBody_CallsTypedHandler()
    {
        var handler = new CommandHandler();

        await handler.HandleAsync(Received("{\"offeringId\":\"o-1\"}"), CancellationToken.None);

        Assert.Equal(["o-1"], handler.Handled);
    }

    [Fact]
    public void Options_NegativePrefetch_FailsValidation()
    {
        var options = new ServiceBusOptions { ConnectionString = "Endpoint=sb://x/;SharedAccessKeyName=a;SharedAccessKey=b", PrefetchCount = -1 };
        var errors = new List<ValidationResult>();

        var valid = Validator.TryValidateObject(options, new ValidationContext(options), errors, validateAllProperties: true);

        Assert.False(valid);
        Assert.Contains(errors, e => e.MemberNames.Contains(nameof(ServiceBusOptions.PrefetchCount)));
    }

    private static ServiceBusReceivedMessage Received(string body) => new()
    {
        Body = System.Text.Encoding.UTF8.GetBytes(body),
        MessageId = "m",
        Entity = ServiceBusEntity.Queue("offering-commands"),
    };

    [ServiceBusTrigger("offering-commands")]
    private sealed class CommandHandler : ServiceBusJsonHandler<StartCommand>
    {
        public List<string> Handled { get; } = [];

        protected override JsonTypeInfo<StartCommand> JsonTypeInfo => TriggerTestJson.Default.StartCommand;

        protected override IEnumerable<string> Validate(StartCommand message)
        {
            if (message.OfferingId == "forbidden")
            {
                yield return "offeringId may not be 'forbidden'";
            }
        }

        protected override Task HandleAsync(StartCommand message, ServiceBusReceivedMessage received, CancellationToken cancellationToken)
        {
            Handled.Add(message.OfferingId!);
            return Task.CompletedTask;
        }
    }

    [ServiceBusTrigger("offering-events", "audit")]
    private sealed class AuditHandler : IServiceBusHandler
    {
        public Task HandleAsync(ServiceBusReceivedMessage message, CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private sealed class UnboundHandler : IServiceBusHandler
    {
        public Task HandleAsync(ServiceBusReceivedMessage message, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

internal sealed record StartCommand([property: Required] string? OfferingId);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(StartCommand))]
internal sealed partial class TriggerTestJson : JsonSerializerContext;
