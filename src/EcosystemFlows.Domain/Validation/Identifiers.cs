namespace EcosystemFlows.Domain.Validation;

/// <summary>
/// Ids of partners, offerings, gates and catalogs become Cosmos DB ids and partition keys, which cannot
/// hold '/', '\', '?' or '#', and travel in URLs: so they are restricted to a safe alphabet.
/// </summary>
public static class Identifiers
{
    /// <summary>Longest id accepted.</summary>
    public const int MaxLength = 64;

    /// <summary>The rule, as shown in an error.</summary>
    public const string Rule = "must be 1-64 characters of letters, digits, '-', '_' or '.', starting with a letter or digit";

    /// <summary>True when <paramref name="value"/> satisfies <see cref="Rule"/>.</summary>
    public static bool IsValid(string value) =>
        value.Length is > 0 and <= MaxLength &&
        char.IsAsciiLetterOrDigit(value[0]) &&
        value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
}
