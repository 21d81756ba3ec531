using System.Text.Json;

namespace EcosystemFlows.Durable;

/// <summary>
/// Converts inputs, outputs, event payloads and custom status to and from the strings stored in history.
/// Replace it in DI to change the wire format; the default is <see cref="JsonDataConverter"/>.
/// </summary>
public abstract class DataConverter
{
    /// <summary>Serializes <paramref name="value"/>; null stays null.</summary>
    public abstract string? Serialize(object? value);

    /// <summary>Deserializes <paramref name="data"/> into <paramref name="targetType"/>; null gives the default.</summary>
    public abstract object? Deserialize(string? data, Type targetType);

    /// <summary>Deserializes <paramref name="data"/> into <typeparamref name="T"/>.</summary>
    public T? Deserialize<T>(string? data) => (T?)Deserialize(data, typeof(T));
}

/// <summary>System.Text.Json data converter using web defaults (camelCase, case-insensitive reads).</summary>
public sealed class JsonDataConverter : DataConverter
{
    private readonly JsonSerializerOptions _options;

    /// <summary>Creates the converter with <paramref name="options"/> or the web defaults.</summary>
    public JsonDataConverter(JsonSerializerOptions? options = null)
    {
        _options = options ?? new JsonSerializerOptions(JsonSerializerDefaults.Web);
    }

    /// <summary>A shared instance with the web defaults.</summary>
    public static JsonDataConverter Default { get; } = new();

    /// <inheritdoc />
    public override string? Serialize(object? value) =>
        value is null ? null : JsonSerializer.Serialize(value, value.GetType(), _options);

    /// <inheritdoc />
    public override object? Deserialize(string? data, Type targetType)
    {
        ArgumentNullException.ThrowIfNull(targetType);
        if (data is null)
        {
            return targetType.IsValueType && Nullable.GetUnderlyingType(targetType) is null ? Activator.CreateInstance(targetType) : null;
        }

        return JsonSerializer.Deserialize(data, targetType, _options);
    }
}
