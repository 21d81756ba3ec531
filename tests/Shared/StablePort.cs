using System.Net;
using System.Net.Sockets;

namespace EcosystemFlows.Tests.Shared;

/// <summary>
/// A loopback port for a server that binds it later, or again after it was killed. It lies below Linux's ephemeral
/// range (32768–60999): a port from that range could meanwhile become the local port of some process's outgoing
/// connection, and the server would fail with "address already in use" or share the port with that connection's
/// socket on the other loopback address (IPv4/IPv6) of "localhost".
/// </summary>
internal static class StablePort
{
    public static int Pick()
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var port = Random.Shared.Next(20_000, 32_768);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // Taken: try another.
            }
        }

        throw new InvalidOperationException("no free loopback port between 20000 and 32767");
    }
}
