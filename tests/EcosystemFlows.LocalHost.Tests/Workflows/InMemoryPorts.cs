using System.Collections.Concurrent;
using System.Text.Json.Serialization.Metadata;
using EcosystemFlows.Azure.ServiceBus.Events;
using EcosystemFlows.Domain.Partners;
using EcosystemFlows.Domain.Ports;

namespace EcosystemFlows.LocalHost.Tests.Workflows;

/// <summary>
/// In-memory stand-ins for the workflow's ports, recording what the activities did so tests can assert
/// side effects (and that a retried activity did not repeat them).
/// </summary>
internal sealed class InMemoryPorts : IPartnerDirectory, IOfferingStore, ICatalog, ISupportRouting, IArtifactStore, IEventPublisher
{
    private readonly Lock _gate = new();

    public ConcurrentDictionary<string, Partner> Partners { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, OfferingSnapshot> Offerings { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, List<AuditEntry>> Audit { get; } = new(StringComparer.Ordinal);

    /// <summary>catalog/code → (offering, retired).</summary>
    public Dictionary<string, (string OfferingId, bool Retired)> Skus { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, IReadOnlyList<SupportAssignment>> Support { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, byte[]> Artifacts { get; } = new(StringComparer.Ordinal);

    /// <summary>Every publish call, duplicates included (consumers de-duplicate by id).</summary>
    public List<CloudEvent> Published { get; } = [];

    public Task<IReadOnlyDictionary<string, Partner>> GetManyAsync(IReadOnlyCollection<string> partnerIds, CancellationToken cancellationToken)
    {
        IReadOnlyDictionary<string, Partner> found = partnerIds.Where(Partners.ContainsKey).Distinct().ToDictionary(id => id, id => Partners[id]);
        return Task.FromResult(found);
    }

    public Task UpsertAsync(Partner partner, CancellationToken cancellationToken)
    {
        Partners[partner.PartnerId] = partner;
        return Task.CompletedTask;
    }

    public Task<Page<Partner>> ListAsync(string? continuationToken, int pageSize, CancellationToken cancellationToken) =>
        Task.FromResult(PageOf(Partners.Values.OrderBy(p => p.PartnerId, StringComparer.Ordinal), continuationToken, pageSize));

    public Dictionary<string, (string UserId, bool? Approve)> Decisions { get; } = new(StringComparer.Ordinal);

    public Task<bool> TryClaimDecisionAsync(string offeringId, string roundInstanceId, string gateId, string userId, bool approve, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var claim = Decisions.TryAdd($"{roundInstanceId}/{gateId}", (userId, approve)) || Decisions[$"{roundInstanceId}/{gateId}"] == (userId, approve);
            return Task.FromResult(claim);
        }
    }

    public Task<string?> CloseDecisionAsync(string offeringId, string roundInstanceId, string gateId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            // A null answer marks the gate closed, as in the Cosmos store.
            var key = $"{roundInstanceId}/{gateId}";
            if (Decisions.TryGetValue(key, out var holder))
            {
                return Task.FromResult<string?>(holder.Approve is null ? null : holder.UserId);
            }

            Decisions[key] = ("", null);
            return Task.FromResult<string?>(null);
        }
    }

    public Task ReleaseDecisionAsync(string offeringId, string roundInstanceId, string gateId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            Decisions.Remove($"{roundInstanceId}/{gateId}");
        }

        return Task.CompletedTask;
    }

    public Task<OfferingSnapshot?> GetAsync(string offeringId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(Offerings.GetValueOrDefault(offeringId));
        }
    }

    public Task<IReadOnlyList<AuditEntry>> GetAuditAsync(string offeringId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            IReadOnlyList<AuditEntry> trail = [.. Audit.GetValueOrDefault(offeringId, []).OrderBy(e => e.Sequence)];
            return Task.FromResult(trail);
        }
    }

    public Task<Page<OfferingAuditEntry>> ListAuditByActorAsync(string actor, string action, string? continuationToken, int pageSize, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var matching = Audit
                .SelectMany(trail => trail.Value.Where(e => e.Actor == actor && e.Action == action).Select(e => new OfferingAuditEntry(trail.Key, e)))
                .OrderByDescending(e => e.Entry.At)
                .ToList();
            return Task.FromResult(PageOf(matching, continuationToken, pageSize));
        }
    }

    public Task<Page<OfferingSnapshot>> ListForPartnerAsync(string partnerId, string? stage, string? continuationToken, int pageSize, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var matching = Offerings.Values
                .Where(o => o.Terms.Members.Any(m => m.PartnerId == partnerId) && (stage is null || o.Stage == stage))
                .OrderBy(o => o.OfferingId, StringComparer.Ordinal)
                .ToList();
            return Task.FromResult(PageOf(matching, continuationToken, pageSize));
        }
    }

    public Task<Artifact?> ReadAsync(string offeringId, string name, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(Artifacts.TryGetValue($"{offeringId}/{name}", out var bytes) ? new Artifact(bytes, name.EndsWith(".md", StringComparison.Ordinal) ? "text/markdown" : "application/json") : null);
        }
    }

    private static Page<T> PageOf<T>(IEnumerable<T> items, string? continuationToken, int pageSize)
    {
        var skip = 0;
        if (continuationToken is not null && !int.TryParse(continuationToken, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out skip))
        {
            throw new InvalidContinuationTokenException($"'{continuationToken}' is not a page offset");
        }

        var all = items.ToList();
        var page = all.Skip(skip).Take(pageSize).ToList();
        return new Page<T>(page, skip + page.Count < all.Count ? (skip + page.Count).ToString(System.Globalization.CultureInfo.InvariantCulture) : null);
    }

    public Task RecordAsync(OfferingSnapshot snapshot, AuditEntry entry, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var trail = Audit.TryGetValue(snapshot.OfferingId, out var existing) ? existing : Audit[snapshot.OfferingId] = [];
            if (trail.All(e => e.Sequence < entry.Sequence))
            {
                Offerings[snapshot.OfferingId] = snapshot;
            }

            if (trail.All(e => e.EntryId != entry.EntryId))
            {
                trail.Add(entry);
            }
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<OfferingSnapshot>> FindActiveAsync(string catalogId, string category, string excludeOfferingId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            IReadOnlyList<OfferingSnapshot> found = [.. Offerings.Values.Where(o =>
                o.IsActive && o.OfferingId != excludeOfferingId && o.Terms.CatalogId == catalogId && o.Terms.Category == category)];
            return Task.FromResult(found);
        }
    }

    /// <summary>When set, SKU claims wait for it: lets a test act while the SKU step is in flight.</summary>
    public TaskCompletionSource? HoldSkuClaims { get; set; }

    /// <summary>Completed when a SKU claim starts.</summary>
    public TaskCompletionSource SkuClaimStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task<bool> TryClaimAsync(string catalogId, string skuCode, string offeringId, CancellationToken cancellationToken)
    {
        SkuClaimStarted.TrySetResult();
        if (HoldSkuClaims is { } hold)
        {
            await hold.Task;
        }

        lock (_gate)
        {
            var key = $"{catalogId}/{skuCode}";
            if (Skus.TryGetValue(key, out var holder))
            {
                return holder.OfferingId == offeringId;
            }

            Skus[key] = (offeringId, false);
            return true;
        }
    }

    public Task RetireAsync(string catalogId, string skuCode, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var key = $"{catalogId}/{skuCode}";
            Skus[key] = Skus[key] with { Retired = true };
        }

        return Task.CompletedTask;
    }

    /// <summary>How many support assignments fail next with <see cref="SupportFailure"/> (a dependency that is down).</summary>
    public int FailSupportAssignments { get; set; }

    public Exception SupportFailure { get; set; } = new HttpRequestException("connection refused");

    public Task AssignAsync(string offeringId, IReadOnlyList<SupportAssignment> assignments, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (FailSupportAssignments > 0)
            {
                FailSupportAssignments--;
                throw SupportFailure;
            }

            Support[offeringId] = assignments;
        }

        return Task.CompletedTask;
    }

    public Task EndAsync(string offeringId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            Support.Remove(offeringId);
        }

        return Task.CompletedTask;
    }

    public Task WriteAsync(string offeringId, string name, string contentType, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            Artifacts[$"{offeringId}/{name}"] = content.ToArray();
        }

        return Task.CompletedTask;
    }

    public Task PublishAsync<TData>(EventPublication<TData> publication, JsonTypeInfo<TData> dataType, CancellationToken cancellationToken = default)
    {
        var envelope = CloudEventPublisher.CreateEnvelope(publication, dataType, "/tests", DateTimeOffset.UnixEpoch);
        lock (_gate)
        {
            Published.Add(envelope);
        }

        return Task.CompletedTask;
    }

    /// <summary>Distinct event types for an offering, in publish order, de-duplicated by event id.</summary>
    public List<string> EventTypes(string offeringId)
    {
        lock (_gate)
        {
            return [.. Published.Where(e => e.Subject == offeringId).DistinctBy(e => e.Id).Select(e => e.Type.Replace("com.ecosystemflows.", "", StringComparison.Ordinal))];
        }
    }
}
