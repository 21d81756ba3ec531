namespace EcosystemFlows.Domain.Offerings;

/// <summary>
/// A decision on a gate as the audit trail records it (action <see cref="AuditAction"/>): the detail reads
/// <c>"{gateId} approved"</c> or <c>"{gateId} rejected: {comment}"</c>, for people reading the trail, and parses back
/// for an approver's decision history.
/// </summary>
public sealed record SignOffRecord(string GateId, bool Approved, string? Comment)
{
    /// <summary>The audit action of a recorded decision.</summary>
    public const string AuditAction = "signoff.recorded";

    /// <summary>The audit entry's detail.</summary>
    public string Detail => $"{GateId} {(Approved ? "approved" : "rejected")}{(Comment is { Length: > 0 } c ? $": {c}" : "")}";

    /// <summary>The decision a <see cref="Detail"/> describes, or null when <paramref name="detail"/> is not one.</summary>
    public static SignOffRecord? Parse(string? detail)
    {
        if (detail is null || detail.IndexOf(' ', StringComparison.Ordinal) is not (> 0 and var space))
        {
            return null;
        }

        var rest = detail[(space + 1)..];
        bool? approved = rest.StartsWith("approved", StringComparison.Ordinal) ? true
            : rest.StartsWith("rejected", StringComparison.Ordinal) ? false
            : null;
        if (approved is not { } decision)
        {
            return null;
        }

        rest = rest["approved".Length..];
        if (rest.Length > 0 && !rest.StartsWith(": ", StringComparison.Ordinal))
        {
            return null;
        }

        return new SignOffRecord(detail[..space], decision, rest.Length > 0 ? rest[2..] : null);
    }
}
