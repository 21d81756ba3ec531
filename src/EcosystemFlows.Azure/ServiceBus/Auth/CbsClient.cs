using System.Collections.Concurrent;
using System.Globalization;
using Amqp;
using Amqp.Framing;

namespace EcosystemFlows.Azure.ServiceBus.Auth;

/// <summary>
/// Claims-based security over AMQP: a request/response pair of links to the <c>$cbs</c> node on which
/// put-token requests authorize this connection's links for an audience until the token expires.
/// </summary>
internal sealed class CbsClient
{
    /// <summary>The CBS node's address.</summary>
    public const string NodeAddress = "$cbs";

    private readonly SenderLink _requests;
    private readonly ReceiverLink _responses;
    private readonly string _replyTo;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<Message>> _pending = new(StringComparer.Ordinal);

    public CbsClient(Session session)
    {
        _replyTo = $"cbs-{Guid.NewGuid():N}";
        _requests = new SenderLink(session, $"{_replyTo}-requests", NodeAddress);
        _responses = new ReceiverLink(
            session,
            $"{_replyTo}-responses",
            new Attach { Source = new Source { Address = NodeAddress }, Target = new Target { Address = _replyTo } },
            null);
        _responses.Start(10, OnResponse);
    }

    /// <summary>
    /// The put-token request: the token as an AMQP string body; message-id and reply-to to pair the
    /// response; application properties <c>operation</c>=<c>put-token</c>, <c>type</c> (token type),
    /// <c>name</c> (the audience) and <c>expiration</c> (a timestamp).
    /// </summary>
    public static Message CreatePutTokenRequest(string audience, CbsToken token, string messageId, string replyTo) => new(token.Value)
    {
        Properties = new Properties { MessageId = messageId, ReplyTo = replyTo },
        ApplicationProperties = new ApplicationProperties
        {
            ["operation"] = "put-token",
            ["type"] = token.Type,
            ["name"] = audience,
            ["expiration"] = token.ExpiresAt.UtcDateTime,
        },
    };

    /// <summary>Throws <see cref="UnauthorizedAccessException"/> unless the response's status-code is 200 or 202.</summary>
    public static void EnsureSuccess(Message response, string audience)
    {
        var status = response.ApplicationProperties?["status-code"] is { } code ? Convert.ToInt32(code, CultureInfo.InvariantCulture) : 0;
        if (status is not (200 or 202))
        {
            throw new UnauthorizedAccessException(
                $"CBS put-token for '{audience}' failed with {status}: {response.ApplicationProperties?["status-description"]}");
        }
    }

    public async Task PutTokenAsync(string audience, CbsToken token, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var messageId = Guid.NewGuid().ToString("N");
        var response = new TaskCompletionSource<Message>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[messageId] = response;
        try
        {
            await _requests.SendAsync(CreatePutTokenRequest(audience, token, messageId, _replyTo)).WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            EnsureSuccess(await response.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false), audience);
        }
        finally
        {
            _pending.TryRemove(messageId, out _);
        }
    }

    private void OnResponse(IReceiverLink link, Message message)
    {
        link.Accept(message);
        if (message.Properties?.CorrelationId is { } id && _pending.TryRemove(id, out var waiter))
        {
            waiter.TrySetResult(message);
        }
    }
}
