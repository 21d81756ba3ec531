using System.ComponentModel.DataAnnotations;

namespace EcosystemFlows.Azure.ServiceBus;

/// <summary>Service Bus (commands in, workflow events out), reached over AMQP 1.0.</summary>
public sealed class ServiceBusOptions : IValidatableObject
{
    /// <summary>Configuration section: <c>ServiceBus</c>.</summary>
    public const string SectionName = "ServiceBus";

    /// <summary>The namespace connection string; see <see cref="ServiceBusConnectionString"/>.</summary>
    [Required(ErrorMessage = "is required")]
    public string ConnectionString { get; set; } = "";

    /// <summary>How long opening an AMQP connection may take before it counts as failed.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:02:00", ErrorMessage = "must be between 1 second and 2 minutes")]
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The parsed connection string (valid once options validation has passed).</summary>
    public ServiceBusConnectionString Parsed => ServiceBusConnectionString.Parse(ConnectionString);

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrWhiteSpace(ConnectionString) &&
            !ServiceBusConnectionString.TryParse(ConnectionString, out _, out var error))
        {
            yield return new ValidationResult($"is malformed: {error}", [nameof(ConnectionString)]);
        }
    }
}
