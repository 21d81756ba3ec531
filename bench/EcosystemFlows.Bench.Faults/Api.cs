using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using EcosystemFlows.Api.Offerings;
using EcosystemFlows.Api.Security;
using EcosystemFlows.Azure.ServiceBus;
using EcosystemFlows.Workflows.JointOffering;
using EcosystemFlows.Workflows.Security;

namespace EcosystemFlows.Bench.Faults;

/// <summary>One HTTP answer; <see cref="Retried"/> when an earlier attempt may have reached the app.</summary>
internal sealed record Answer(HttpStatusCode Status, string Body, bool Retried)
{
    public bool Accepted => Status == HttpStatusCode.Accepted;
}

/// <summary>
/// The app's API as the suite's users call it: development tokens per user, and every call retried through
/// app kills (connection refused, reset, timeout, 5xx) and after 429 (as long as Retry-After says) until it gets an answer or the bound passes. Service
/// Bus commands are sent until the broker confirms (through broker kills).
/// </summary>
internal sealed class Api(Uri baseAddress, AuthOptions auth, ServiceBusSender sender, TimeSpan bound) : IDisposable
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    private readonly Dictionary<string, HttpClient> _clients = new(StringComparer.Ordinal);

    public async Task<Answer> SendAsync(string user, HttpMethod method, string path, object? body = null, string? idempotencyKey = null)
    {
        var client = Client(user);
        var deadline = DateTime.UtcNow + bound;
        var retried = false;
        while (true)
        {
            using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
            if (body is not null)
            {
                request.Content = JsonContent.Create(body, body.GetType(), options: Json);
            }

            if (idempotencyKey is not null)
            {
                request.Headers.Add(JointOfferingApi.IdempotencyKeyHeader, idempotencyKey);
            }

            var pause = TimeSpan.FromMilliseconds(400);
            try
            {
                using var response = await client.SendAsync(request);
                if (response.StatusCode == HttpStatusCode.TooManyRequests)
                {
                    // The app's rate limit (per organisation): the driver is one client driving a thousand offerings.
                    pause = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
                }
                else if ((int)response.StatusCode < 500)
                {
                    return new Answer(response.StatusCode, await response.Content.ReadAsStringAsync(), retried);
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException or System.Net.Sockets.SocketException)
            {
                // The app is down (killed) or cut the request: try again. A socket the app's death disconnects right after
                // it connected surfaces as a bare SocketException (ENOTCONN, from reading its remote end point).
            }

            retried = true;
            if (DateTime.UtcNow > deadline)
            {
                return new Answer(HttpStatusCode.ServiceUnavailable, "no answer within the bound", retried);
            }

            await Task.Delay(pause);
        }
    }

    public async Task<OfferingView?> GetAsync(string offeringId)
    {
        var answer = await SendAsync("alice", HttpMethod.Get, $"/api/offerings/{offeringId}");
        return answer.Status == HttpStatusCode.OK ? JsonSerializer.Deserialize<OfferingView>(answer.Body, Json) : null;
    }

    /// <summary>Sends a command to <c>offering-commands</c>, again after any failure (a broker kill), until it is confirmed.</summary>
    public async Task SendCommandAsync(OfferingCommandMessage command, string messageId)
    {
        var deadline = DateTime.UtcNow + bound;
        var body = JsonSerializer.SerializeToUtf8Bytes(command, CommandJsonContext.Default.OfferingCommandMessage);
        while (true)
        {
            try
            {
                await sender.SendToQueueAsync(OfferingCommandsFunction.QueueName, new ServiceBusMessage(body) { MessageId = messageId, ContentType = "application/json" });
                return;
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500));
            }
        }
    }

    public void Dispose()
    {
        foreach (var client in _clients.Values)
        {
            client.Dispose();
        }
    }

    private HttpClient Client(string user)
    {
        lock (_clients)
        {
            if (!_clients.TryGetValue(user, out var client))
            {
                string[] roles = user == "alice" ? [Roles.Partner, Roles.Approver, Roles.Operator] : [Roles.Approver];
                var organisation = user == "alice" ? Scenario.Lead : null;
                client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(20) };
                client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
                    "Bearer", DevelopmentTokens.Mint(auth, user, organisation, roles, TimeSpan.FromHours(3), DateTimeOffset.UtcNow));
                _clients[user] = client;
            }

            return client;
        }
    }
}
