using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace EcosystemFlows.Functions.Http;

/// <summary>
/// Reads what a minimal-API handler gets bound in the local host (a JSON body, typed query values) from a Functions
/// HTTP request, failing the same way: a <see cref="BadHttpRequestException"/> with the status the local host answers
/// (400 for malformed JSON or an unparsable query value, 415 for a body that is not JSON), which
/// <see cref="Hosting.ProblemsMiddleware"/> hands to the same exception handlers as the local host.
/// </summary>
internal static class RequestBinding
{
    /// <summary>The JSON body as <typeparamref name="T"/>, or null when the request has none (every body here is optional).</summary>
    public static async Task<T?> ReadJsonBodyAsync<T>(this HttpRequest request)
        where T : class
    {
        if (request.ContentLength == 0 || (request.ContentLength is null && !request.Headers.ContainsKey("Transfer-Encoding")))
        {
            return null;
        }

        if (!request.HasJsonContentType())
        {
            throw new BadHttpRequestException(
                $"Expected a supported JSON media type but got \"{request.ContentType}\".", StatusCodes.Status415UnsupportedMediaType);
        }

        var options = request.HttpContext.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        try
        {
            return await request.ReadFromJsonAsync<T>(options, request.HttpContext.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            throw new BadHttpRequestException($"Failed to read parameter \"{typeof(T).Name}\" from the request body as JSON.", StatusCodes.Status400BadRequest, ex);
        }
    }

    /// <summary>A query string value, or null when absent.</summary>
    public static string? Query(this HttpRequest request, string name) =>
        request.Query.TryGetValue(name, out var values) && values.Count > 0 ? values[0] : null;

    /// <summary>A boolean query value (<c>true</c>/<c>false</c>), or null when absent.</summary>
    public static bool? QueryBool(this HttpRequest request, string name) =>
        request.Query(name) is { } text ? bool.TryParse(text, out var value) ? value : throw Unparsable(name, text) : null;

    /// <summary>An integer query value, or null when absent.</summary>
    public static int? QueryInt(this HttpRequest request, string name) =>
        request.Query(name) is { } text
            ? int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : throw Unparsable(name, text)
            : null;

    /// <summary>A date and time query value (ISO 8601), or null when absent.</summary>
    public static DateTimeOffset? QueryDateTimeOffset(this HttpRequest request, string name) =>
        request.Query(name) is { } text
            ? DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var value) ? value : throw Unparsable(name, text)
            : null;

    private static BadHttpRequestException Unparsable(string name, string text) =>
        new($"Failed to bind parameter \"{name}\" from \"{text}\".", StatusCodes.Status400BadRequest);
}
