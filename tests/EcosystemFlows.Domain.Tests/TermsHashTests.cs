using EcosystemFlows.Domain.Offerings;

namespace EcosystemFlows.Domain.Tests;

public sealed class TermsHashTests
{
    [Fact]
    public void Compute_SameTerms_SameHash()
    {
        Assert.Equal(Examples.Terms().TermsHash, Examples.Terms().TermsHash);
        Assert.StartsWith("v1:", Examples.Terms().TermsHash, StringComparison.Ordinal);
        Assert.Equal(67, Examples.Terms().TermsHash.Length);
    }

    [Fact]
    public void Compute_MemberOrderOrTrailingZerosOrWhitespace_DoNotChangeIt()
    {
        var terms = Examples.Terms();
        var reordered = terms with
        {
            Name = $"  {terms.Name} ",
            Members = [terms.Members[2], terms.Members[0], terms.Members[1] with { RevenueSharePercent = 30.00m }],
            Pricing = terms.Pricing with { ListPrice = 1499m },
        };

        Assert.Equal(terms.TermsHash, reordered.TermsHash);
    }

    public static TheoryData<string, Func<OfferingTerms, OfferingTerms>> Amendments => new()
    {
        { "revenue split", t => t with { Members = [t.Members[0] with { RevenueSharePercent = 49m }, t.Members[1] with { RevenueSharePercent = 31m }, t.Members[2]] } },
        { "support owner", t => t with { SupportPlan = t.SupportPlan with { L2Owner = "contoso" } } },
        { "price", t => t with { Pricing = t.Pricing with { ListPrice = 1500m } } },
        { "currency", t => t with { Pricing = t.Pricing with { Currency = "USD" } } },
        { "responsibility", t => t with { Members = [t.Members[0] with { Responsibilities = ["Builds the SOC platform"] }, t.Members[1], t.Members[2]] } },
        { "objective", t => t with { Objectives = [new Objective("Customers in year one", "50")] } },
        { "legal gate approvers", t => t with { AdditionalGates = [new AdditionalGate(GateKind.Legal, ["judy"])] } },
        { "launch date", t => t with { LaunchDate = t.LaunchDate.AddDays(1) } },
    };

    [Theory]
    [MemberData(nameof(Amendments))]
    public void Compute_AnyAgreedTermChanged_ChangesIt(string what, Func<OfferingTerms, OfferingTerms> amend)
    {
        var terms = Examples.Terms();

        Assert.True(terms.TermsHash != amend(terms).TermsHash, $"changing the {what} must invalidate sign-offs");
    }
}
