using SdkDataConverter = Microsoft.DurableTask.DataConverter;

namespace EcosystemFlows.DurableTask.Hosting;

/// <summary>
/// The SDK's <see cref="SdkDataConverter"/> seen as the framework's converter, so what <c>TaskHubClient</c>
/// writes (inputs, event payloads) is serialized exactly as the SDK's shims read it in the worker.
/// </summary>
internal sealed class CoreDataConverter(SdkDataConverter inner) : global::DurableTask.Core.Serializing.DataConverter
{
    public override string Serialize(object value) => inner.Serialize(value) ?? "null";

    public override string Serialize(object value, bool formatted) => Serialize(value);

    public override object Deserialize(string data, Type objectType) => inner.Deserialize(data, objectType)!;
}
