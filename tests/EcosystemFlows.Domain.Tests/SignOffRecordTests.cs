using EcosystemFlows.Domain.Offerings;

namespace EcosystemFlows.Domain.Tests;

public sealed class SignOffRecordTests
{
    [Theory]
    [InlineData("legal", true, null, "legal approved")]
    [InlineData("member-contoso", false, "cap too low: raise it", "member-contoso rejected: cap too low: raise it")]
    public void Detail_FormatsAndParsesBack(string gateId, bool approved, string? comment, string detail)
    {
        var record = new SignOffRecord(gateId, approved, comment);

        Assert.Equal(detail, record.Detail);
        Assert.Equal(record, SignOffRecord.Parse(detail));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("legal")]
    [InlineData(" approved")]
    [InlineData("legal reminded")]
    [InlineData("legal approvedly")]
    public void Parse_OtherDetail_IsNull(string? detail) => Assert.Null(SignOffRecord.Parse(detail));
}
