using Microsoft.Data.Sqlite;

namespace EcosystemFlows.ServiceBusEmulator.Messaging;

/// <summary>
/// The emulator's durable state in SQLite (WAL). Only the broker's single thread uses it; each turn of that thread
/// is one transaction, and nothing a turn decided is visible to a client before its commit. WAL with
/// <c>synchronous=NORMAL</c> survives the process being killed at any moment (a commit is in the OS once written);
/// only an operating-system crash could lose the last commits, which a local emulator accepts.
/// </summary>
internal sealed class Store : IDisposable
{
    private readonly SqliteConnection connection;
    private readonly SqliteCommand insert;
    private readonly SqliteCommand delete;
    private readonly SqliteCommand updateCount;
    private readonly SqliteCommand updateAll;
    private readonly SqliteCommand insertDuplicate;
    private readonly SqliteCommand deleteDuplicates;
    private readonly SqliteCommand setMeta;
    private SqliteTransaction? transaction;

    public Store(string dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory);
        var path = Path.Combine(dataDirectory, "servicebus.db");
        connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        Execute("PRAGMA journal_mode=WAL;");
        Execute("PRAGMA synchronous=NORMAL;");
        Execute("""
            CREATE TABLE IF NOT EXISTS messages (
                seq INTEGER PRIMARY KEY,
                entity TEXT NOT NULL,
                state INTEGER NOT NULL,
                delivery_count INTEGER NOT NULL,
                enqueued INTEGER NOT NULL,
                scheduled INTEGER NOT NULL,
                expires INTEGER NOT NULL,
                message_id TEXT,
                dl_source TEXT,
                body BLOB NOT NULL);
            CREATE TABLE IF NOT EXISTS duplicates (
                entity TEXT NOT NULL,
                message_id TEXT NOT NULL,
                expires INTEGER NOT NULL,
                PRIMARY KEY (entity, message_id));
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
            """);
        insert = Command("""
            INSERT INTO messages (seq, entity, state, delivery_count, enqueued, scheduled, expires, message_id, dl_source, body)
            VALUES ($seq, $entity, $state, $count, $enqueued, $scheduled, $expires, $id, $dl, $body)
            """, "$seq", "$entity", "$state", "$count", "$enqueued", "$scheduled", "$expires", "$id", "$dl", "$body");
        delete = Command("DELETE FROM messages WHERE seq = $seq", "$seq");
        updateCount = Command("UPDATE messages SET delivery_count = $count WHERE seq = $seq", "$seq", "$count");
        updateAll = Command("""
            UPDATE messages SET entity = $entity, state = $state, delivery_count = $count, scheduled = $scheduled,
            expires = $expires, dl_source = $dl, body = $body WHERE seq = $seq
            """, "$seq", "$entity", "$state", "$count", "$scheduled", "$expires", "$dl", "$body");
        insertDuplicate = Command(
            "INSERT OR REPLACE INTO duplicates (entity, message_id, expires) VALUES ($entity, $id, $expires)", "$entity", "$id", "$expires");
        deleteDuplicates = Command("DELETE FROM duplicates WHERE expires < $now", "$now");
        setMeta = Command("INSERT OR REPLACE INTO meta (key, value) VALUES ($key, $value)", "$key", "$value");
    }

    public void Begin() => transaction = connection.BeginTransaction();

    public void Commit()
    {
        transaction!.Commit();
        transaction.Dispose();
        transaction = null;
    }

    public long ReadMeta(string key)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT value FROM meta WHERE key = $key";
        command.Parameters.AddWithValue("$key", key);
        return command.ExecuteScalar() is long value ? value : 0;
    }

    public IEnumerable<StoredMessage> ReadMessages()
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT seq, entity, state, delivery_count, enqueued, scheduled, expires, message_id, dl_source, body FROM messages ORDER BY seq";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            yield return new StoredMessage
            {
                Sequence = reader.GetInt64(0),
                Entity = reader.GetString(1),
                State = (MessageState)reader.GetInt32(2),
                DeliveryCount = reader.GetInt32(3),
                EnqueuedTicks = reader.GetInt64(4),
                ScheduledTicks = reader.GetInt64(5),
                ExpiresTicks = reader.GetInt64(6),
                MessageId = reader.IsDBNull(7) ? null : reader.GetString(7),
                DeadLetterSource = reader.IsDBNull(8) ? null : reader.GetString(8),
                Body = (byte[])reader.GetValue(9),
            };
        }
    }

    public IEnumerable<(string Entity, string MessageId, long Expires)> ReadDuplicates()
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT entity, message_id, expires FROM duplicates";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            yield return (reader.GetString(0), reader.GetString(1), reader.GetInt64(2));
        }
    }

    public void Insert(StoredMessage m) => Run(insert, m.Sequence, m.Entity, (int)m.State, m.DeliveryCount, m.EnqueuedTicks,
        m.ScheduledTicks, m.ExpiresTicks, m.MessageId, m.DeadLetterSource, m.Body);

    public void Delete(long sequence) => Run(delete, sequence);

    public void UpdateDeliveryCount(StoredMessage m) => Run(updateCount, m.Sequence, m.DeliveryCount);

    public void Update(StoredMessage m) => Run(updateAll, m.Sequence, m.Entity, (int)m.State, m.DeliveryCount, m.ScheduledTicks,
        m.ExpiresTicks, m.DeadLetterSource, m.Body);

    public void RememberDuplicate(string entity, string messageId, long expires) => Run(insertDuplicate, entity, messageId, expires);

    public void ForgetDuplicates(long nowTicks) => Run(deleteDuplicates, nowTicks);

    public void SetMeta(string key, long value) => Run(setMeta, key, value);

    public void Dispose()
    {
        transaction?.Dispose();
        foreach (var command in new[] { insert, delete, updateCount, updateAll, insertDuplicate, deleteDuplicates, setMeta })
        {
            command.Dispose();
        }

        connection.Dispose();
    }

    private void Run(SqliteCommand command, params object?[] values)
    {
        command.Transaction = transaction;
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i] ?? DBNull.Value;
        }

        command.ExecuteNonQuery();
    }

    private SqliteCommand Command(string sql, params string[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        return command;
    }

    private void Execute(string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}

internal enum MessageState
{
    Active = 0,
    Deferred = 1,
    Scheduled = 2,
}

/// <summary>One message in one entity (a queue, a subscription or a dead-letter sub-queue).</summary>
internal sealed class StoredMessage
{
    public long Sequence { get; set; }

    /// <summary>The entity path in lower case: <c>q</c>, <c>t/subscriptions/s</c>, with <c>/$deadletterqueue</c>.</summary>
    public string Entity { get; set; } = "";

    public MessageState State { get; set; }

    /// <summary>Deliveries under a lock so far (the SDK's DeliveryCount of the last delivery).</summary>
    public int DeliveryCount { get; set; }

    public long EnqueuedTicks { get; set; }

    public long ScheduledTicks { get; set; }

    public long ExpiresTicks { get; set; } = long.MaxValue;

    public string? MessageId { get; set; }

    public string? DeadLetterSource { get; set; }

    /// <summary>The AMQP-encoded message as the sender sent it (with dead-letter and modified properties applied).</summary>
    public byte[] Body { get; set; } = [];

    // Not stored: a lock does not survive a restart (the message is simply available again, as after lock expiry).
    public Guid LockToken { get; set; }

    public long LockedUntilTicks { get; set; }

    public object? LockedBy { get; set; }
}
