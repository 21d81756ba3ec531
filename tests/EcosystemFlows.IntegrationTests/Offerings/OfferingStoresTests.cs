using EcosystemFlows.Azure.Configuration;
using EcosystemFlows.Azure.Cosmos;
using EcosystemFlows.Azure.Offerings;
using EcosystemFlows.Azure.Storage;
using EcosystemFlows.Domain.Partners;
using EcosystemFlows.Domain.Ports;
using EcosystemFlows.Domain.Tests;
using EcosystemFlows.IntegrationTests.Cosmos;
using Microsoft.Extensions.Options;

namespace EcosystemFlows.IntegrationTests.Offerings;

/// <summary>The workflow's ports on the Cosmos DB stand-in and Azurite, each test class in its own database.</summary>
[Collection("Cosmos")]
public sealed class OfferingStoresTests(CosmosStandIn cosmos) : IAsyncLifetime
{
    private readonly OfferingData _data = new(cosmos.Client, Options.Create(new CosmosOptions { DatabaseName = LocalServices.UniqueName("offerings") }));

    public Task InitializeAsync() => _data.EnsureCreatedAsync(CancellationToken.None);

    public async Task DisposeAsync() => await cosmos.Client.GetDatabase(_data.Offerings.Database.Id).DeleteAsync();

    [Fact]
    public async Task Partners_UpsertThenGetMany_RoundTripsEnumsAndSkipsUnknownIds()
    {
        var directory = new CosmosPartnerDirectory(_data);
        foreach (var partner in Examples.Partners().Values)
        {
            await directory.UpsertAsync(partner, CancellationToken.None);
        }

        var found = await directory.GetManyAsync(["contoso", "northwind", "missing"], CancellationToken.None);

        Assert.Equal(["contoso", "northwind"], found.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(PartnerType.Integrator, found["northwind"].Type);
        Assert.Equal([SupportTier.L1, SupportTier.L2], found["northwind"].Support.Tiers);
        Assert.Equal(Examples.Vendor.Agreements, found["contoso"].Agreements);
    }

    [Fact]
    public async Task Record_SameEntryTwice_KeepsOneAuditEntryAndLatestSnapshot()
    {
        var store = new CosmosOfferingStore(_data);
        var entry = new AuditEntry("off-1-submitted", 1, new DateTime(2026, 11, 23, 8, 0, 0, DateTimeKind.Utc), "alice", "offering.submitted", "submitted");
        var snapshot = new OfferingSnapshot("off-1", "contoso", Examples.Terms(), "Validating", true, null);

        await store.RecordAsync(snapshot, entry, CancellationToken.None);
        await store.RecordAsync(snapshot with { Stage = "VerifyingPartners" }, entry, CancellationToken.None);
        await store.RecordAsync(snapshot with { Stage = "CheckingConflicts" }, entry with { EntryId = "off-1-verified-contoso", Sequence = 2 }, CancellationToken.None);

        var audit = await store.GetAuditAsync("off-1", CancellationToken.None);
        var current = await store.GetAsync("off-1", CancellationToken.None);
        Assert.Equal([1, 2], audit.Select(a => a.Sequence));
        Assert.Equal("CheckingConflicts", current!.Stage);
        Assert.Equal(Examples.Terms().TermsHash, current.Terms.TermsHash);
    }

    [Fact]
    public async Task Record_OlderTransitionRunAgainAfterNewer_KeepsNewerSnapshot()
    {
        var store = new CosmosOfferingStore(_data);
        var submitted = new AuditEntry("off-2-submitted", 1, new DateTime(2026, 11, 23, 8, 0, 0, DateTimeKind.Utc), "alice", "offering.submitted", "submitted");
        var approved = submitted with { EntryId = "off-2-approved", Sequence = 2 };
        var snapshot = new OfferingSnapshot("off-2", "contoso", Examples.Terms(), "AwaitingSignOffs", true, null);

        await store.RecordAsync(snapshot, submitted, CancellationToken.None);
        await store.RecordAsync(snapshot with { Stage = "CreatingSku" }, approved, CancellationToken.None);
        await store.RecordAsync(snapshot, submitted, CancellationToken.None);

        var current = await store.GetAsync("off-2", CancellationToken.None);
        Assert.Equal("CreatingSku", current!.Stage);
        Assert.Equal([1, 2], (await store.GetAuditAsync("off-2", CancellationToken.None)).Select(a => a.Sequence));
    }

    [Fact]
    public async Task Record_ConcurrentTransitions_SnapshotEndsAtTheLatest()
    {
        var store = new CosmosOfferingStore(_data);
        var at = new DateTime(2026, 11, 23, 8, 0, 0, DateTimeKind.Utc);
        var snapshot = new OfferingSnapshot("off-racing", "contoso", Examples.Terms(), "Validating", true, null);

        await Task.WhenAll(Enumerable.Range(1, 12).Select(sequence => store.RecordAsync(
            snapshot with { Stage = $"Stage{sequence:00}" }, new AuditEntry($"off-racing-{sequence:00000}", sequence, at, "system", "step", "step"), CancellationToken.None)));

        Assert.Equal("Stage12", (await store.GetAsync("off-racing", CancellationToken.None))!.Stage);
    }

    [Fact]
    public async Task ListForPartner_PagesMemberOfferingsAndFiltersStage()
    {
        var store = new CosmosOfferingStore(_data);
        var terms = Examples.Terms();
        for (var i = 0; i < 5; i++)
        {
            var members = i == 4 ? [terms.Members[0], terms.Members[1] with { PartnerId = "adatum" }] : terms.Members;
            await store.RecordAsync(
                new OfferingSnapshot($"off-{i}", "contoso", terms with { Members = members }, i == 0 ? "Launched" : "AwaitingSignOffs", true, null),
                new AuditEntry($"off-{i}-1", 1, DateTime.UnixEpoch, "system", "x", "x"),
                CancellationToken.None);
        }

        var first = await store.ListForPartnerAsync("northwind", null, null, 2, CancellationToken.None);
        var second = await store.ListForPartnerAsync("northwind", null, first.ContinuationToken, 2, CancellationToken.None);
        var launched = await store.ListForPartnerAsync("contoso", "Launched", null, 10, CancellationToken.None);

        Assert.Equal(["off-0", "off-1"], first.Items.Select(o => o.OfferingId));
        Assert.Equal(["off-2", "off-3"], second.Items.Select(o => o.OfferingId));
        Assert.Equal(["off-0"], launched.Items.Select(o => o.OfferingId));
    }

    [Fact]
    public async Task ListAuditByActor_AcrossOfferings_LatestFirstInPagesOnlyThatActorAndAction()
    {
        var store = new CosmosOfferingStore(_data);
        var terms = Examples.Terms();
        var at = new DateTime(2026, 12, 1, 9, 0, 0, DateTimeKind.Utc);
        foreach (var (offering, sequence, hours, actor, action) in new[]
        {
            ("off-a", 1, 0, "ivan", "signoff.recorded"),
            ("off-b", 1, 1, "ivan", "signoff.recorded"),
            ("off-b", 2, 2, "carol", "signoff.recorded"),
            ("off-c", 1, 3, "ivan", "signoff.reminder"),
            ("off-c", 2, 4, "ivan", "signoff.recorded"),
        })
        {
            await store.RecordAsync(
                new OfferingSnapshot(offering, "contoso", terms, "AwaitingSignOffs", true, null),
                new AuditEntry($"{offering}-{sequence}", sequence, at.AddHours(hours), actor, action, $"legal approved: {offering}"),
                CancellationToken.None);
        }

        var first = await store.ListAuditByActorAsync("ivan", "signoff.recorded", null, 2, CancellationToken.None);
        var second = await store.ListAuditByActorAsync("ivan", "signoff.recorded", first.ContinuationToken, 2, CancellationToken.None);

        Assert.Equal([("off-c", 4), ("off-b", 1)], first.Items.Select(e => (e.OfferingId, e.Entry.At.Hour - 9)));
        Assert.Equal([("off-a", "legal approved: off-a")], second.Items.Select(e => (e.OfferingId, e.Entry.Detail)));
        Assert.Null(second.ContinuationToken);
    }

    [Fact]
    public async Task Partners_List_PagesInIdOrder()
    {
        var directory = new CosmosPartnerDirectory(_data);
        foreach (var partner in Examples.Partners().Values)
        {
            await directory.UpsertAsync(partner, CancellationToken.None);
        }

        var first = await directory.ListAsync(null, 2, CancellationToken.None);
        var rest = await directory.ListAsync(first.ContinuationToken, 2, CancellationToken.None);

        Assert.Equal(["contoso", "fabrikam"], first.Items.Select(p => p.PartnerId));
        Assert.Equal(["northwind"], rest.Items.Select(p => p.PartnerId));
    }

    [Fact]
    public async Task FindActive_OnlySameCatalogCategoryActiveAndNotSelf()
    {
        var store = new CosmosOfferingStore(_data);
        var terms = Examples.Terms();
        async Task Save(string id, bool active, string? catalog = null, string? category = null) =>
            await store.RecordAsync(
                new OfferingSnapshot(id, "contoso", terms with { CatalogId = catalog ?? terms.CatalogId, Category = category ?? terms.Category }, "x", active, null),
                new AuditEntry($"{id}-1", 1, DateTime.UnixEpoch, "system", "x", "x"),
                CancellationToken.None);
        await Save("self", true);
        await Save("match", true);
        await Save("inactive", false);
        await Save("other-catalog", true, catalog: "other");
        await Save("other-category", true, category: "Networking");

        var found = await store.FindActiveAsync(terms.CatalogId, terms.Category, "self", CancellationToken.None);

        Assert.Equal(["match"], found.Select(o => o.OfferingId));
    }

    [Fact]
    public async Task CloseDecision_ClaimedAndUnclaimedGates_ReturnsTheClaimantAndRefusesLaterClaims()
    {
        var store = new CosmosOfferingStore(_data);
        Assert.True(await store.TryClaimDecisionAsync("off-c", "off-c", "member-contoso", "carol", true, CancellationToken.None));

        var claimed = await store.CloseDecisionAsync("off-c", "off-c", "member-contoso", CancellationToken.None);
        var unclaimed = await store.CloseDecisionAsync("off-c", "off-c", "legal", CancellationToken.None);
        var closedAgain = await store.CloseDecisionAsync("off-c", "off-c", "legal", CancellationToken.None);

        Assert.Equal("carol", claimed);
        Assert.Null(unclaimed);
        Assert.Null(closedAgain);
        Assert.False(await store.TryClaimDecisionAsync("off-c", "off-c", "legal", "dave", true, CancellationToken.None));
        Assert.False(await store.TryClaimDecisionAsync("off-c", "off-c", "legal", "dave", false, CancellationToken.None));
        Assert.True(await store.TryClaimDecisionAsync("off-c", "off-c", "member-contoso", "carol", true, CancellationToken.None));
    }

    [Fact]
    public async Task Catalog_ClaimIsIdempotentPerOfferingAndExclusiveAcrossOfferings()
    {
        var catalog = new CosmosCatalog(_data);

        Assert.True(await catalog.TryClaimAsync("fabrikam-eu", "JO-SEC-ABCDEFGH", "off-1", CancellationToken.None));
        Assert.True(await catalog.TryClaimAsync("fabrikam-eu", "JO-SEC-ABCDEFGH", "off-1", CancellationToken.None));
        Assert.False(await catalog.TryClaimAsync("fabrikam-eu", "JO-SEC-ABCDEFGH", "off-2", CancellationToken.None));
        Assert.True(await catalog.TryClaimAsync("other-catalog", "JO-SEC-ABCDEFGH", "off-2", CancellationToken.None));

        await catalog.RetireAsync("fabrikam-eu", "JO-SEC-ABCDEFGH", CancellationToken.None);
        await catalog.RetireAsync("fabrikam-eu", "JO-SEC-ABCDEFGH", CancellationToken.None);
    }

    [Fact]
    public async Task Catalog_ConcurrentClaimsOfOneCode_ExactlyOneOfferingWins()
    {
        var catalog = new CosmosCatalog(_data);

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => catalog.TryClaimAsync("race", "JO-SEC-RACE0000", $"off-{i}", CancellationToken.None)));

        Assert.Single(results, won => won);
    }

    [Fact]
    public async Task Support_AssignThenEnd_KeepsRoutingMarkedEnded()
    {
        var routing = new CosmosSupportRouting(_data);
        IReadOnlyList<SupportAssignment> assignments = [new(SupportTier.L1, "fabrikam", SupportTier.L2), new(SupportTier.L2, "northwind", SupportTier.L3), new(SupportTier.L3, "contoso", null)];

        await routing.AssignAsync("off-1", assignments, CancellationToken.None);
        await routing.AssignAsync("off-1", assignments, CancellationToken.None);
        var assigned = await routing.GetAsync("off-1", CancellationToken.None);
        await routing.EndAsync("off-1", CancellationToken.None);
        var ended = await routing.GetAsync("off-1", CancellationToken.None);

        Assert.Equal(assignments, assigned!.Value.Assignments);
        Assert.False(assigned.Value.Ended);
        Assert.True(ended!.Value.Ended);
    }

    [Fact]
    public async Task Support_AssignRunAgainAfterEnd_RoutingStaysEnded()
    {
        var routing = new CosmosSupportRouting(_data);
        IReadOnlyList<SupportAssignment> assignments = [new(SupportTier.L1, "fabrikam", SupportTier.L2), new(SupportTier.L2, "northwind", SupportTier.L3), new(SupportTier.L3, "contoso", null)];
        await routing.AssignAsync("off-late", assignments, CancellationToken.None);
        await routing.EndAsync("off-late", CancellationToken.None);

        // The assignment's work item redelivered after a crash, after the offering was retired.
        await routing.AssignAsync("off-late", assignments, CancellationToken.None);

        var current = await routing.GetAsync("off-late", CancellationToken.None);
        Assert.True(current!.Value.Ended);
        Assert.Equal(assignments, current.Value.Assignments);
    }

    [Fact]
    public async Task Artifacts_WriteReadOverwrite_OnAzurite()
    {
        var options = new StorageOptions { ConnectionString = LocalServices.StorageConnectionString };
        var artifacts = new BlobArtifactStore(StorageClients.CreateBlobServiceClient(options, AzureCredentials.Create()));
        await artifacts.EnsureCreatedAsync(CancellationToken.None);
        var offeringId = LocalServices.UniqueName("off-");

        await artifacts.WriteAsync(offeringId, "offering-sheet.md", "text/markdown", "# v1"u8.ToArray(), CancellationToken.None);
        await artifacts.WriteAsync(offeringId, "offering-sheet.md", "text/markdown", "# v2"u8.ToArray(), CancellationToken.None);
        var read = await artifacts.ReadAsync(offeringId, "offering-sheet.md", CancellationToken.None);

        Assert.Equal("# v2", System.Text.Encoding.UTF8.GetString(read!.Content.Span));
        Assert.Equal("text/markdown", read.ContentType);
        Assert.Null(await artifacts.ReadAsync(offeringId, "missing.json", CancellationToken.None));
    }
}
