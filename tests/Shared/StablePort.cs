using System.Net;
using System.Net.Sockets;

namespace EcosystemFlows.Tests.Shared;

/// <summary>
/// A loopback port for a process that is killed and started again on the same port. It lies below Linux's ephemeral
/// range (32768–60999): a port from that range could, between the kill and the restart, become the local port of
/// some process's outgoing connection, and the restart would fail with "address already in use".
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
