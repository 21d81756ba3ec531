namespace EcosystemFlows.Tests.Shared;

/// <summary>
/// Azurite's development account, whose key Azurite and Microsoft publish (it opens nothing but a local emulator), as a
/// connection string with explicit endpoints: eng/services.sh may run Azurite on other ports (ECOFLOWS_AZURITE_*_PORT).
/// </summary>
internal static class Azurite
{
    private const string DevelopmentAccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    public static string ConnectionString(string blobPort, string queuePort, string tablePort) =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={DevelopmentAccountKey};" +
        $"BlobEndpoint=http://127.0.0.1:{blobPort}/devstoreaccount1;" +
        $"QueueEndpoint=http://127.0.0.1:{queuePort}/devstoreaccount1;" +
        $"TableEndpoint=http://127.0.0.1:{tablePort}/devstoreaccount1;";
}
