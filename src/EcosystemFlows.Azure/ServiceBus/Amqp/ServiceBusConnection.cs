using System.Collections.Concurrent;
using Amqp;
using Amqp.Framing;
using Amqp.Sasl;
using EcosystemFlows.Azure.ServiceBus.Auth;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EcosystemFlows.Azure.ServiceBus;

/// <summary>
/// The process's one AMQP connection to Service Bus (or the local broker): opened lazily, reopened with
/// exponential backoff after a broker restart or connection loss, with a pooled session and sender link
/// per address for sends and a session per listener. On Azure, links are authorized through CBS with
/// tokens from an <see cref="ICbsTokenProvider"/>, renewed before they expire.
/// </summary>
/// <remarks>
/// AMQPNetLite completes its tasks on its I/O thread: nothing here blocks after an await (no
/// <c>.Result</c>, no synchronous Receive or Close), or the connection's reader would stall.
/// </remarks>
public sealed class ServiceBusConnection : IAsyncDisposable, IAmqpSendPath
{
    private static readonly TimeSpan InitialReconnectDelay = TimeSpan.FromMilliseconds(200);
    private const int MaxSendAttempts = 6;

    private readonly ServiceBusOptions _options;
    private readonly ServiceBusConnectionString _endpoint;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ICbsTokenProvider? _tokens;
    private readonly SemaphoreSlim _connectGate = new(1, 1);
    private readonly CancellationTokenSource _disposing = new();
    private ConnectionScope? _current;
    private Task? _renewal;
    private int _opened;

    /// <summary>Creates the connection manager; nothing is opened until first use.</summary>
    public ServiceBusConnection(
        IOptions<ServiceBusOptions> options,
        ILogger<ServiceBusConnection>? logger = null,
        TimeProvider? timeProvider = null,
        ICbsTokenProvider? tokenProvider = null)
    {
        _options = options.Value;
        _endpoint = _options.Parsed;
        Dialect = ServiceBusDialect.For(_endpoint);
        _logger = logger ?? NullLogger<ServiceBusConnection>.Instance;
        _time = timeProvider ?? TimeProvider.System;
        if (Dialect.UsesClaimsBasedSecurity)
        {
            _tokens = tokenProvider ?? new SharedAccessKeyTokenProvider(
                _endpoint.SharedAccessKeyName ?? throw new InvalidOperationException(
                    "Azure Service Bus needs SharedAccessKeyName/SharedAccessKey or a Microsoft Entra token provider (ServiceBus:FullyQualifiedNamespace)"),
                _endpoint.SharedAccessKey!,
                _options.TokenLifetime,
                _time);
        }
    }

    /// <summary>How the broker at the other end differs from Service Bus.</summary>
    public ServiceBusDialect Dialect { get; }

    /// <summary>The validated options this connection runs with.</summary>
    public ServiceBusOptions Options => _options;

    /// <summary>How many times a connection has been opened (1 + reconnects).</summary>
    public int OpenedCount => Volatile.Read(ref _opened);

    internal ILogger Logger => _logger;

    internal TimeProvider Time => _time;

    /// <summary>The open connection, opening (or reopening) it first with backoff until cancelled.</summary>
    internal async Task<ConnectionScope> GetScopeAsync(CancellationToken cancellationToken)
    {
        var scope = _current;
        if (scope is { IsOpen: true })
        {
            return scope;
        }

        await _connectGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            scope = _current;
            if (scope is { IsOpen: true })
            {
                return scope;
            }

            var delay = InitialReconnectDelay;
            for (var attempt = 1; ; attempt++)
            {
                ObjectDisposedException.ThrowIf(_disposing.IsCancellationRequested, this);
                try
                {
                    var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
                    scope = new ConnectionScope(this, connection);
                    _current = scope;
                    Interlocked.Increment(ref _opened);
                    ServiceBusLog.Connected(_logger, Describe(), Dialect.IsLocal ? "local" : "azure", attempt);
                    if (_tokens is not null)
                    {
                        _renewal ??= RenewTokensAsync(_disposing.Token);
                    }

                    return scope;
                }
                catch (AmqpException ex) when (ex.Error?.Condition == ErrorCode.UnauthorizedAccess)
                {
                    // Wrong credentials do not heal by retrying; say so at once.
                    throw new UnauthorizedAccessException($"Service Bus at {Describe()} refused the credentials: {ex.Error.Description}", ex);
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is not ObjectDisposedException)
                {
                    var wait = Jitter(delay);
                    ServiceBusLog.ConnectFailed(_logger, ex, Describe(), attempt, (long)wait.TotalMilliseconds);
                    await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxReconnectDelay.Ticks));
                }
            }
        }
        finally
        {
            _connectGate.Release();
        }
    }

    /// <inheritdoc cref="IAmqpSendPath.SendAsync"/>
    internal async Task SendAsync(string address, Func<Message> message, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var scope = await GetScopeAsync(cancellationToken).ConfigureAwait(false);
            SenderLink? link = null;
            try
            {
                link = await scope.GetSenderAsync(address, cancellationToken).ConfigureAwait(false);
                await link.SendAsync(message()).WaitAsync(_options.OperationTimeout, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (attempt < MaxSendAttempts && IsRetriable(ex) && !cancellationToken.IsCancellationRequested)
            {
                // The message may have reached the broker before the failure: a retry can duplicate it
                // (at least once; receivers de-duplicate by message id).
                ServiceBusLog.SendRetry(_logger, ex, address, attempt);
                scope.Evict(address, link);
                await Task.Delay(Jitter(TimeSpan.FromMilliseconds(100 * attempt)), _time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    Task IAmqpSendPath.SendAsync(string address, Func<Message> message, CancellationToken cancellationToken) =>
        SendAsync(address, message, cancellationToken);

    /// <summary>Authorizes links to <paramref name="address"/> on Azure (CBS put-token); nothing to do locally.</summary>
    internal async Task AuthorizeAsync(ConnectionScope scope, string address, CancellationToken cancellationToken)
    {
        if (_tokens is null)
        {
            return;
        }

        var audience = ServiceBusDialect.Audience(_endpoint.Host, address);
        if (scope.IsAuthorized(audience, _time.GetUtcNow()))
        {
            return;
        }

        var token = await _tokens.GetTokenAsync(audience, cancellationToken).ConfigureAwait(false);
        await scope.Cbs.PutTokenAsync(audience, token, _options.OperationTimeout, cancellationToken).ConfigureAwait(false);
        scope.Authorized(audience, token.ExpiresAt);
    }

    /// <summary>Closes the connection; listeners should have been stopped first (they settle or release their messages).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposing.IsCancellationRequested)
        {
            return;
        }

        await _disposing.CancelAsync().ConfigureAwait(false);
        if (_current is { } scope)
        {
            await scope.CloseAsync().ConfigureAwait(false);
        }

        if (_renewal is not null)
        {
            await _renewal.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _disposing.Dispose();
    }

    private async Task<Connection> OpenAsync(CancellationToken cancellationToken)
    {
        var factory = new ConnectionFactory();
        Address address;
        if (Dialect.UsesClaimsBasedSecurity)
        {
            // Azure: TLS on 5671, anonymous SASL; every link is then authorized through CBS. (Plain
            // AMQP only for an explicit amqp:// endpoint: the in-process peer of the contract tests.)
            factory.SASL.Profile = SaslProfile.Anonymous;
            address = new Address(_endpoint.Host, _endpoint.Port, null, null, "/", _endpoint.UseTls ? "amqps" : "amqp");
        }
        else
        {
            // The local broker: SASL PLAIN with the key name and key as user name and password.
            address = new Address(_endpoint.Host, _endpoint.Port, _endpoint.SharedAccessKeyName, _endpoint.SharedAccessKey, "/", "amqp");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposing.Token);
        timeout.CancelAfter(_options.ConnectTimeout);
        var opening = factory.CreateAsync(address, new Open { ContainerId = $"ecoflows-{Environment.MachineName}-{Guid.NewGuid():N}", HostName = _endpoint.Host }, null);
        try
        {
            return await opening.WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The open may still complete later; close it then so no connection leaks.
            _ = opening.ContinueWith(t => t.Result.CloseAsync(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            throw new TimeoutException($"no AMQP connection to {Describe()} within {_options.ConnectTimeout.TotalSeconds:0} s");
        }
    }

    private async Task RenewTokensAsync(CancellationToken cancellationToken)
    {
        // Check often enough that no token gets within 20 % of its lifetime of expiring unrenewed.
        var period = TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(5).Ticks, _options.TokenLifetime.Ticks / 20));
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(period, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (_current is not { IsOpen: true } scope)
            {
                continue;
            }

            var renewBefore = _time.GetUtcNow() + _options.TokenLifetime / 5;
            foreach (var audience in scope.AudiencesExpiringBefore(renewBefore))
            {
                try
                {
                    var token = await _tokens!.GetTokenAsync(audience, cancellationToken).ConfigureAwait(false);
                    await scope.Cbs.PutTokenAsync(audience, token, _options.OperationTimeout, cancellationToken).ConfigureAwait(false);
                    scope.Authorized(audience, token.ExpiresAt);
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                {
                    ServiceBusLog.TokenRenewalFailed(_logger, ex, audience);
                }
            }
        }
    }

    internal void OnConnectionClosed(ConnectionScope scope, Error? error)
    {
        if (!_disposing.IsCancellationRequested)
        {
            ServiceBusLog.ConnectionLost(_logger, error?.ToString() ?? "closed");
        }

        Interlocked.CompareExchange(ref _current, null, scope);
    }

    private static bool IsRetriable(Exception ex) => ex switch
    {
        AmqpException { Error.Condition: var condition } => condition is not null &&
            (string)condition is not (ErrorCode.NotFound or ErrorCode.UnauthorizedAccess or ErrorCode.MessageSizeExceeded
                or ErrorCode.InvalidField or ErrorCode.NotAllowed or ErrorCode.NotImplemented or ErrorCode.DecodeError),
        UnauthorizedAccessException or NotSupportedException or ArgumentException => false,
        _ => true,
    };

    private static TimeSpan Jitter(TimeSpan delay) =>
        TimeSpan.FromTicks((long)(delay.Ticks * (0.8 + (Random.Shared.NextDouble() * 0.4))));

    private string Describe() => $"{(_endpoint.UseTls ? "amqps" : "amqp")}://{_endpoint.Host}:{_endpoint.Port}";
}

/// <summary>One open connection with what hangs off it: the sender session and links, the CBS client, authorized audiences.</summary>
internal sealed class ConnectionScope
{
    private readonly ServiceBusConnection _owner;
    private readonly ConcurrentDictionary<string, Lazy<Task<SenderLink>>> _senders = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _authorized = new(StringComparer.Ordinal);
    private readonly Lazy<Session> _senderSession;
    private readonly Lazy<CbsClient> _cbs;
    private volatile bool _closed;

    public ConnectionScope(ServiceBusConnection owner, Connection connection)
    {
        _owner = owner;
        Connection = connection;
        _senderSession = new Lazy<Session>(() => new Session(connection));
        _cbs = new Lazy<CbsClient>(() => new CbsClient(new Session(connection)));
        connection.AddClosedCallback((_, error) =>
        {
            _closed = true;
            _owner.OnConnectionClosed(this, error);
        });
    }

    public Connection Connection { get; }

    public bool IsOpen => !_closed && !Connection.IsClosed;

    public CbsClient Cbs => _cbs.Value;

    public Session CreateSession() => new(Connection);

    public Task<SenderLink> GetSenderAsync(string address, CancellationToken cancellationToken)
    {
        var entry = _senders.GetOrAdd(address, a => new Lazy<Task<SenderLink>>(() => AttachSenderAsync(a, cancellationToken)));
        return entry.Value;
    }

    /// <summary>Forgets a sender link after a failure so the next send attaches a fresh one.</summary>
    public void Evict(string address, SenderLink? link)
    {
        if (_senders.TryGetValue(address, out var entry) && entry.IsValueCreated &&
            (entry.Value.IsFaulted || entry.Value.IsCanceled ||
             (link is not null && entry.Value.IsCompletedSuccessfully && ReferenceEquals(entry.Value.Result, link))))
        {
            _senders.TryRemove(KeyValuePair.Create(address, entry));
        }

        if (link is { IsClosed: false })
        {
            _ = link.CloseAsync();
        }
    }

    public bool IsAuthorized(string audience, DateTimeOffset now) =>
        _authorized.TryGetValue(audience, out var expiresAt) && expiresAt > now;

    public void Authorized(string audience, DateTimeOffset expiresAt) => _authorized[audience] = expiresAt;

    public IReadOnlyList<string> AudiencesExpiringBefore(DateTimeOffset time) =>
        [.. _authorized.Where(pair => pair.Value < time).Select(pair => pair.Key)];

    public async Task CloseAsync()
    {
        _closed = true;
        try
        {
            await Connection.CloseAsync().WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AmqpException or TimeoutException or ObjectDisposedException or InvalidOperationException)
        {
            // Closing a connection the broker already dropped: nothing left to release.
        }
    }

    private async Task<SenderLink> AttachSenderAsync(string address, CancellationToken cancellationToken)
    {
        await _owner.AuthorizeAsync(this, address, cancellationToken).ConfigureAwait(false);
        var link = new SenderLink(_senderSession.Value, $"sender-{Guid.NewGuid():N}", _owner.Dialect.SenderTarget(address), null);
        link.AddClosedCallback((_, _) => _senders.TryRemove(address, out _));
        return link;
    }
}
