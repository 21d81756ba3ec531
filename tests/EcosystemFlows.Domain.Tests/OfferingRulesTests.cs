using EcosystemFlows.Domain.Offerings;

namespace EcosystemFlows.Domain.Tests;

public sealed class OfferingRulesTests
{
    [Fact]
    public void Validate_ExampleOffering_HasNoErrors()
    {
        Assert.Empty(OfferingRules.Validate(Examples.Terms(), Examples.Partners(), Examples.Today));
    }

    [Theory]
    [InlineData(50, 30, 19.99, "revenue-share-total")]
    [InlineData(50, 30, 20.01, "revenue-share-total")]
    [InlineData(60, 40, 0, "range")]
    [InlineData(50, 30.005, 19.995, "precision")]
    public void Validate_RevenueShares_MustTotalExactly100WithTwoDecimals(double lead, double contributor, double channel, string expectedCode)
    {
        var terms = Examples.Terms();
        terms = terms with
        {
            Members =
            [
                terms.Members[0] with { RevenueSharePercent = (decimal)lead },
                terms.Members[1] with { RevenueSharePercent = (decimal)contributor },
                terms.Members[2] with { RevenueSharePercent = (decimal)channel },
            ],
        };

        var errors = OfferingRules.Validate(terms, Examples.Partners(), Examples.Today);

        Assert.Contains(errors, e => e.Code == expectedCode);
    }

    [Fact]
    public void Validate_RevenueSharesTotal_ReportsTheActualTotal()
    {
        var terms = Examples.Terms();
        terms = terms with { Members = [terms.Members[0] with { RevenueSharePercent = 45m }, terms.Members[1], terms.Members[2]] };

        var error = Assert.Single(OfferingRules.Validate(terms, Examples.Partners(), Examples.Today));

        Assert.Equal("members", error.Field);
        Assert.Contains("95", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_SupportOwnerNotCapable_NamesTheTierField()
    {
        var terms = Examples.Terms() with { SupportPlan = new SupportPlan("fabrikam", "contoso", "contoso") };

        var error = Assert.Single(OfferingRules.Validate(terms, Examples.Partners(), Examples.Today));

        Assert.Equal("supportPlan.l2Owner", error.Field);
        Assert.Equal("not-capable", error.Code);
    }

    [Fact]
    public void Validate_SupportOwnerNotMember_IsRejected()
    {
        var terms = Examples.Terms() with { SupportPlan = new SupportPlan("fabrikam", "northwind", "adatum") };

        var error = Assert.Single(OfferingRules.Validate(terms, Examples.Partners(), Examples.Today));

        Assert.Equal(("supportPlan.l3Owner", "not-a-member"), (error.Field, error.Code));
    }

    [Theory]
    [InlineData("eur")]
    [InlineData("EURO")]
    [InlineData("XTS")]
    [InlineData("")]
    public void Validate_CurrencyNotIso4217_IsRejected(string currency)
    {
        var terms = Examples.Terms() with { Pricing = new Pricing(10m, currency, BillingTerm.Annual) };

        var error = Assert.Single(OfferingRules.Validate(terms, Examples.Partners(), Examples.Today));

        Assert.Equal(("pricing.currency", "currency"), (error.Field, error.Code));
    }

    [Fact]
    public void Validate_ManyProblems_ReportsEachFieldOnce()
    {
        var terms = Examples.Terms() with
        {
            Name = "x",
            CatalogId = "bad/catalog",
            LaunchDate = Examples.Today.AddDays(-1),
            Pricing = new Pricing(0m, "EUR", BillingTerm.Monthly),
        };

        var fields = OfferingRules.Validate(terms, Examples.Partners(), Examples.Today).Select(e => e.Field).ToList();

        Assert.Equal(["name", "catalogId", "launchDate", "pricing.listPrice"], fields);
    }

    [Fact]
    public void Validate_MembersWithoutLeadAndDuplicated_AreRejected()
    {
        var terms = Examples.Terms();
        terms = terms with
        {
            Members =
            [
                terms.Members[1] with { RevenueSharePercent = 50m },
                terms.Members[1] with { RevenueSharePercent = 50m },
            ],
        };

        var codes = OfferingRules.Validate(terms, Examples.Partners(), Examples.Today).Where(e => e.Field == "members").Select(e => e.Code);

        Assert.Equal(["duplicate", "lead"], codes);
    }

    [Fact]
    public void Validate_UnknownPartner_IsReportedOnItsField()
    {
        var partners = Examples.Partners();
        partners.Remove("northwind");

        var errors = OfferingRules.Validate(Examples.Terms(), partners, Examples.Today);

        Assert.Contains(errors, e => e.Field == "members[1].partnerId" && e.Code == "unknown-partner");
    }

    [Fact]
    public void Validate_SingleMember_IsNotAJointOffering()
    {
        var terms = Examples.Terms();
        terms = terms with { Members = [terms.Members[0] with { RevenueSharePercent = 100m }] };

        Assert.Contains(OfferingRules.Validate(terms, Examples.Partners(), Examples.Today), e => e.Field == "members" && e.Code == "count");
    }

    [Fact]
    public void Validate_DuplicateAdditionalGateKinds_AreRejected()
    {
        var terms = Examples.Terms() with
        {
            AdditionalGates = [new AdditionalGate(GateKind.Legal, ["ivan"]), new AdditionalGate(GateKind.Legal, ["judy"]), new AdditionalGate(GateKind.ExecutiveSponsor, ["x"])],
        };

        var errors = OfferingRules.Validate(terms, Examples.Partners(), Examples.Today);

        Assert.Contains(errors, e => e.Field == "additionalGates" && e.Code == "duplicate");
        Assert.Contains(errors, e => e.Field == "additionalGates[2].kind");
    }

    [Fact]
    public void Validate_NullsFromJson_AreFieldErrorsNotCrashes()
    {
        var terms = Examples.Terms() with
        {
            Members = null!,
            Objectives = [null!],
            AdditionalGates = null!,
            SupportPlan = null!,
            Pricing = null!,
            Name = null!,
        };

        var fields = OfferingRules.Validate(terms, Examples.Partners(), Examples.Today).Select(e => e.Field).ToList();

        Assert.Equal(["name", "members", "supportPlan", "pricing", "objectives[0]"], fields);
    }

    [Fact]
    public void Validate_NullMemberAndResponsibilities_AreReportedPerField()
    {
        var terms = Examples.Terms();
        terms = terms with { Members = [terms.Members[0] with { Responsibilities = null! }, null!, terms.Members[2]] };

        var errors = OfferingRules.Validate(terms, Examples.Partners(), Examples.Today);

        Assert.Contains(errors, e => e.Field == "members[0].responsibilities");
        Assert.Contains(errors, e => e.Field == "members[1]" && e.Code == "required");
    }
}
