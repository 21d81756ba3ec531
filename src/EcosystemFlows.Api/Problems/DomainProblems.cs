using EcosystemFlows.Domain.Ports;
using EcosystemFlows.Domain.Validation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EcosystemFlows.Api;

/// <summary>Field-level domain errors as an RFC 9457 validation problem (one entry per field, "code: message").</summary>
internal static class DomainProblems
{
    public static ValidationProblem Validation(string title, IEnumerable<DomainError> errors) =>
        TypedResults.ValidationProblem(
            errors.GroupBy(e => e.Field).ToDictionary(g => g.Key, g => g.Select(e => $"{e.Code}: {e.Message}").ToArray()),
            title: title);

    /// <summary>The title of a listing's refused query.</summary>
    public const string InvalidQueryTitle = "The query is not valid";

    /// <summary>A listing's refused continuation token: ill-formed (<see cref="ContinuationTokens.Rule"/>) or not one the store issued.</summary>
    public static ValidationProblem InvalidContinuationToken(bool wellFormed) =>
        Validation(InvalidQueryTitle, [new DomainError("continuationToken", "invalid", wellFormed ? "is not a token this listing issued" : ContinuationTokens.Rule)]);
}
