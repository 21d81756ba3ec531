namespace EcosystemFlows.Domain.Validation;

/// <summary>
/// One broken rule, addressed to the field that breaks it (JSON-path-like, e.g. <c>members[1].revenueShare</c>),
/// with a stable machine-readable <see cref="Code"/> and a message a partner can act on.
/// </summary>
public sealed record DomainError(string Field, string Code, string Message);

/// <summary>Collects <see cref="DomainError"/>s while rules run, so a caller gets every problem at once.</summary>
public sealed class DomainErrors
{
    private readonly List<DomainError> _errors = [];

    /// <summary>The errors found so far, in the order the rules ran.</summary>
    public IReadOnlyList<DomainError> Items => _errors;

    /// <summary>True when no rule was broken.</summary>
    public bool IsValid => _errors.Count == 0;

    /// <summary>Records an error.</summary>
    public void Add(string field, string code, string message) => _errors.Add(new DomainError(field, code, message));

    /// <summary>Records an error unless <paramref name="condition"/> holds; returns the condition.</summary>
    public bool Require(bool condition, string field, string code, string message)
    {
        if (!condition)
        {
            Add(field, code, message);
        }

        return condition;
    }

    /// <summary>Requires a trimmed string of <paramref name="min"/>..<paramref name="max"/> characters.</summary>
    public bool RequireText(string? value, string field, int min, int max)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return Require(min == 0, field, "required", "is required");
        }

        var length = value.Trim().Length;
        return Require(length >= min && length <= max, field, "length", $"must be {min}-{max} characters (was {length})");
    }

    /// <summary>Requires an id usable as a Cosmos DB id and partition key value.</summary>
    public bool RequireId(string? value, string field) =>
        RequireText(value, field, 1, Identifiers.MaxLength) &&
        Require(Identifiers.IsValid(value!), field, "invalid-id", Identifiers.Rule);
}
