using System.Text.RegularExpressions;
using EcosystemFlows.Domain.Offerings;

namespace EcosystemFlows.Domain.Tests;

public sealed partial class SkuCodeTests
{
    [Fact]
    public void Create_SameInputs_SameCode()
    {
        Assert.Equal(SkuCode.Create("fabrikam-eu", "Security services", "off-1"), SkuCode.Create("fabrikam-eu", "Security services", "off-1"));
    }

    [Fact]
    public void Create_Format_IsPrefixCategoryAndEightBase32Characters()
    {
        var code = SkuCode.Create("fabrikam-eu", "Security services", "off-1");

        Assert.Matches(Format(), code);
        Assert.StartsWith("JO-SEC-", code, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_LaterAttempt_AppendsAttemptNumber()
    {
        var first = SkuCode.Create("cat", "AI", "off-1");

        Assert.Equal($"{first}-2", SkuCode.Create("cat", "AI", "off-1", attempt: 2));
        Assert.StartsWith("JO-AIX-", first, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_TenThousandOfferings_CodesAreDistinctPerCatalog()
    {
        var codes = Enumerable.Range(0, 10_000).Select(i => SkuCode.Create("fabrikam-eu", "Security", $"off-{i}")).ToList();

        Assert.Equal(codes.Count, codes.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void Create_SameOfferingOtherCatalog_DiffersInBody()
    {
        Assert.NotEqual(SkuCode.Create("catalog-a", "Security", "off-1"), SkuCode.Create("catalog-b", "Security", "off-1"));
    }

    [GeneratedRegex("^JO-[A-Z0-9]{3}-[ABCDEFGHJKLMNPQRSTUVWXYZ2-9]{8}$")]
    private static partial Regex Format();
}
