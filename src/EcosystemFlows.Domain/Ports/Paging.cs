namespace EcosystemFlows.Domain.Ports;

/// <summary>The continuation token a caller sent is not one the listing issued (or no longer accepts).</summary>
public sealed class InvalidContinuationTokenException : Exception
{
    /// <summary>Creates the exception.</summary>
    public InvalidContinuationTokenException()
        : base("The continuation token is not valid.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public InvalidContinuationTokenException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the store's own error.</summary>
    public InvalidContinuationTokenException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// The shape every continuation token has before a store sees it: tokens are opaque, but always short
/// printable ASCII (Cosmos DB's are small JSON strings), so anything else is refused at the door.
/// </summary>
public static class ContinuationTokens
{
    /// <summary>Longest token accepted.</summary>
    public const int MaxLength = 4096;

    /// <summary>The rule, as shown in an error.</summary>
    public const string Rule = "must be a continuation token from a previous page (1-4096 printable ASCII characters)";

    /// <summary>True for null (first page) or a token satisfying <see cref="Rule"/>.</summary>
    public static bool IsWellFormed(string? token) =>
        token is null || (token.Length is > 0 and <= MaxLength && token.All(c => c is >= ' ' and <= '~'));
}
