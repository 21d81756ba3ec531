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
}
