using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EcosystemFlows.Api.Offerings;
using EcosystemFlows.Domain.Tests;
using EcosystemFlows.LocalHost.Tests.Hosting;
using EcosystemFlows.Tests.Shared;
using EcosystemFlows.Workflows.JointOffering;
using EcosystemFlows.Workflows.Security;
using Xunit.Abstractions;

namespace EcosystemFlows.LocalHost.Tests.Security;

/// <summary>
/// Sends ≥ 10,000 generated malformed or hostile requests across every endpoint of the app (from its
/// endpoint list): wrong JSON types, huge strings, deep nesting, invalid UTF-8, injection strings,
/// missing and extra fields, wrong content types, malformed Authorization / Idempotency-Key /
/// traceparent headers, bodies over the limit. No answer may be a 5xx, every 4xx must be a problem
/// document, and the app must still be healthy. Deterministic: the seed is printed and
/// <c>ECOFLOWS_FUZZ_SEED</c> overrides it. The counts go to bench/results/faults.json (security.http_fuzz).
/// </summary>
public sealed class HttpFuzzTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int RequestCount = 10_000;
    private const int DefaultSeed = 20261123;
    private const int BodyLimit = 64 * 1024;

    private static readonly string[] Hostile =
    [
        "' OR 1=1 --", "\" OR \"\"=\"", "1; DROP TABLE offerings", "SELECT * FROM c WHERE 1=1", "c.id != null OR true", "') OR IS_DEFINED(c.id) --",
        "<script>alert(1)</script>", "javascript:alert(1)", "{{7*7}}", "${jndi:ldap://x/a}", "../../etc/passwd", "..\\..\\windows\\win.ini", "%2e%2e%2f%2e%2e%2f",
        "a/b", "a\\b", "a?b", "a#b", "line\r\nInjected-Header: yes", "\u0000", "\u0007bell", "\uFEFF", "\uD83D\uDE00", "\u202Eevil", "null", "undefined", "NaN", "-1",
        "0", "99999999999999999999999999", "1e309", "true", "[]", "{}", " ", "", "ÿ", "名前", "off-00000000000000000000", "contoso", "member-contoso",
    ];

    private static readonly string[] ContentTypes =
    [
        "application/json", "application/json", "application/json", "application/json; charset=utf-8", "text/plain", "application/xml",
        "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=utf-16", "application/problem+json", "*/*",
    ];

    private readonly AppFactory _app = new(new Dictionary<string, string?>
    {
        ["ApiLimits:PermitsPerWindow"] = "1000000",
        ["ApiLimits:AnonymousPermitsPerWindow"] = "1000000",
        ["ApiLimits:MaxRequestBodyBytes"] = BodyLimit.ToString(CultureInfo.InvariantCulture),
        // Ten thousand requests' information logs would cost more than the requests.
        ["Logging:LogLevel:Default"] = "Warning",
    });

    public Task InitializeAsync()
    {
        SecurityKit.Seed(_app);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Fuzz_TenThousandHostileRequests_NoServerErrorEveryRefusalAProblemStillHealthy()
    {
        // Arrange
        var seed = int.TryParse(Environment.GetEnvironmentVariable("ECOFLOWS_FUZZ_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var chosen) ? chosen : DefaultSeed;
        output.WriteLine($"HTTP fuzz seed: {seed} (set ECOFLOWS_FUZZ_SEED to replay another)");
        var ownOffering = await SecurityKit.StartOfferingAsync(_app, "alice", "contoso", Examples.Terms());
        // Readiness takes no input and waits on dependency timeouts: it is the only endpoint left out.
        var endpoints = SecurityKit.Endpoints(_app).Where(e => e.Pattern != "/readyz").ToList();
        var random = new Random(seed);
        var requests = Enumerable.Range(0, RequestCount).Select(i => Generate(random, endpoints[i % endpoints.Count], ownOffering)).ToList();
        var statuses = new ConcurrentDictionary<int, int>();
        var failures = new ConcurrentBag<string>();
        var clock = System.Diagnostics.Stopwatch.StartNew();

        // Act
        await Parallel.ForEachAsync(requests, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (fuzz, _) =>
        {
            using var client = _app.CreateClient();
            using var request = fuzz.ToRequest();
            using var response = await client.SendAsync(request);
            var status = (int)response.StatusCode;
            statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
            var body = await response.Content.ReadAsStringAsync();
            if (status >= 500)
            {
                failures.Add($"{status} for {fuzz}: {body[..Math.Min(body.Length, 500)]}");
            }
            else if (status >= 400 && !IsProblem(response, body, status))
            {
                failures.Add($"{status} without problem details for {fuzz}: {response.Content.Headers.ContentType} {body[..Math.Min(body.Length, 200)]}");
            }
        });
        using var health = await _app.CreateClient().GetAsync(new Uri("/healthz", UriKind.Relative));

        // Assert
        var byClass = statuses.GroupBy(s => $"{s.Key / 100}xx").OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(s => s.Value));
        output.WriteLine($"{RequestCount} requests over {endpoints.Count} endpoints in {clock.Elapsed.TotalSeconds:0.0} s: {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}"))}");
        Assert.True(failures.IsEmpty, $"{failures.Count} bad answers (seed {seed}):\n{string.Join("\n", failures.Take(30))}");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(RequestCount, statuses.Values.Sum());
        FaultsReport.WriteSecurity("http_fuzz", new JsonObject
        {
            ["seed"] = seed,
            ["requests"] = RequestCount,
            ["endpoints"] = endpoints.Count,
            ["by_status_class"] = new JsonObject(byClass.Select(c => KeyValuePair.Create(c.Key, (JsonNode?)c.Value))),
            ["by_status"] = new JsonObject(statuses.OrderBy(s => s.Key).Select(s => KeyValuePair.Create(s.Key.ToString(CultureInfo.InvariantCulture), (JsonNode?)s.Value))),
            ["five_xx"] = byClass.GetValueOrDefault("5xx"),
            ["four_xx_without_problem"] = failures.Count(f => f.Contains("without problem details", StringComparison.Ordinal)),
            ["healthy_after"] = health.StatusCode == HttpStatusCode.OK,
            ["seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 1),
        });
    }

    private static bool IsProblem(HttpResponseMessage response, string body, int status)
    {
        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
        {
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.TryGetProperty("status", out var value) && value.GetInt32() == status;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static FuzzRequest Generate(Random random, (string Key, string Method, string Pattern) endpoint, string ownOffering)
    {
        var method = endpoint.Method == "ANY" ? Pick(random, ["GET", "POST", "HEAD", "DELETE"]) : endpoint.Method;
        // %00 in a path is refused by the server before routing (Kestrel: 400; the test host throws), so never sent.
        var path = SecurityKit.FillRoute(endpoint.Pattern, name => RouteValue(random, name, ownOffering).Replace('\0', '0'));
        if (random.Next(3) == 0)
        {
            path += $"?{Pick(random, ["status", "continuationToken", "top", "runtimeStatus", "instanceIdPrefix", "showHistory", "createdTimeFrom", "reason"])}={Uri.EscapeDataString(HostileString(random).Replace('\0', '0'))}";
        }

        var headers = new List<(string, string)>();
        var authorization = random.Next(8) switch
        {
            0 => null,
            1 => Pick(random, ["Bearer", "Bearer ", "Basic YWxpY2U6c2VjcmV0", "bearer x.y.z", $"Bearer {new string('a', 20_000)}", "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "Bearer ÿÿÿ", "Negotiate abc"]),
            2 => "Bearer " + SecurityKit.Token(Pick(random, ["alice", "zoe", "olivia"]), Pick(random, ["contoso", "adatum", null]), Roles.Operator),
            3 => "Bearer " + SecurityKit.Token("alice", "contoso", Roles.Approver),
            4 => "Bearer " + SecurityKit.Token("alice", "contoso", Roles.Partner, Roles.Approver, Roles.Operator),
            _ => "Bearer " + SecurityKit.Token(Pick(random, ["alice", "zoe"]), Pick(random, ["contoso", "adatum"]), Roles.Partner),
        };
        if (authorization is not null)
        {
            headers.Add(("Authorization", authorization));
        }

        if (random.Next(2) == 0)
        {
            headers.Add((JointOfferingApi.IdempotencyKeyHeader, random.Next(3) == 0 ? new string('k', random.Next(100, 5000)) : HeaderSafe(HostileString(random))));
        }

        if (random.Next(4) == 0)
        {
            headers.Add(("traceparent", Pick(random, ["00-zz-zz-01", "ff-" + new string('0', 32) + "-" + new string('0', 16) + "-01", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "garbage", new string('9', 3000)])));
        }

        var (body, contentType) = method is "GET" or "HEAD" or "DELETE" && random.Next(4) != 0 ? (null, null) : Body(random, endpoint.Pattern);
        return new FuzzRequest(method, path, headers, body, contentType);
    }

    private static (byte[]? Body, string? ContentType) Body(Random random, string pattern)
    {
        var contentType = random.Next(6) == 0 ? Pick(random, ContentTypes) : "application/json";
        byte[] bytes = random.Next(12) switch
        {
            0 => [],
            1 => Encoding.UTF8.GetBytes(new string('[', random.Next(65, 3000)) + new string(']', random.Next(0, 3000))),
            2 => Encoding.UTF8.GetBytes(Deep(random.Next(65, 1000))),
            3 => [0x7B, 0x22, 0x6E, 0xC3, 0x28, 0xFF, 0xFE, 0x22, 0x3A, 0x22, 0xED, 0xA0, 0x80, 0x22, 0x7D], // invalid UTF-8 inside JSON
            4 => Encoding.UTF8.GetBytes(ValidBody(pattern).ToJsonString()[..Math.Max(1, random.Next(ValidBody(pattern).ToJsonString().Length))]),
            5 when random.Next(10) == 0 => Encoding.UTF8.GetBytes($"{{\"reason\":\"{new string('x', BodyLimit + random.Next(1, 10_000))}\"}}"),
            6 => Encoding.UTF8.GetBytes(Pick(random, ["null", "42", "\"text\"", "true", "[1,2,3]", "{}", "{\"$type\":\"System.IO.FileInfo\"}", "{\"__proto__\":{\"admin\":true}}"])),
            _ => Encoding.UTF8.GetBytes(Mutate(random, ValidBody(pattern)).ToJsonString()),
        };
        return (bytes, contentType);
    }

    /// <summary>A well-formed body for the endpoint, which <see cref="Mutate"/> then breaks one field at a time.</summary>
    private static JsonNode ValidBody(string pattern)
    {
        object body = pattern switch
        {
            "/api/offerings" => new StartOfferingRequest(Examples.Terms(), 10),
            _ when pattern.Contains("signoffs", StringComparison.Ordinal) => new SignOffRequest(true, "ok", Examples.Terms().TermsHash),
            _ when pattern.EndsWith("amendments", StringComparison.Ordinal) => new AmendmentRequest(Examples.Terms()),
            _ when pattern.StartsWith("/api/partners", StringComparison.Ordinal) => Examples.Vendor,
            _ => new ReasonRequest("because"),
        };
        return JsonSerializer.SerializeToNode(body, SecurityKit.Json)!;
    }

    private static JsonNode Mutate(Random random, JsonNode body)
    {
        for (var i = random.Next(1, 4); i > 0; i--)
        {
            var (parent, key, index) = PickSlot(random, body);
            JsonNode? value = random.Next(9) switch
            {
                0 => null,
                1 => JsonValue.Create(random.Next()),
                2 => JsonValue.Create(new string(Pick(random, ['x', 'ÿ', '名', '\u0000', '/']), random.Next(1_000, 20_000))),
                3 => new JsonArray(JsonValue.Create(HostileString(random))),
                4 => new JsonObject { ["nested"] = JsonNode.Parse(Deep(random.Next(10, 60))) },
                5 => JsonValue.Create(random.NextDouble() * Math.Pow(10, random.Next(-10, 300)) * (random.Next(2) == 0 ? -1 : 1)),
                6 => JsonValue.Create(random.Next(2) == 0),
                7 => "remove",
                _ => JsonValue.Create(HostileString(random)),
            };
            if (parent is JsonObject obj && key is not null)
            {
                if (value is JsonValue marker && marker.TryGetValue<string>(out var text) && text == "remove")
                {
                    obj.Remove(key);
                }
                else
                {
                    obj[key] = value;
                }
            }
            else if (parent is JsonArray array && index is { } at)
            {
                array[at] = value?.DeepClone();
            }
        }

        if (body is JsonObject root && random.Next(5) == 0)
        {
            root[$"extra{random.Next(100)}"] = HostileString(random);
        }

        return body;
    }

    private static (JsonNode? Parent, string? Key, int? Index) PickSlot(Random random, JsonNode node)
    {
        var slots = new List<(JsonNode, string?, int?)>();
        void Walk(JsonNode current)
        {
            switch (current)
            {
                case JsonObject obj:
                    foreach (var (key, child) in obj.ToList())
                    {
                        slots.Add((obj, key, null));
                        if (child is not null)
                        {
                            Walk(child);
                        }
                    }

                    break;
                case JsonArray array:
                    for (var i = 0; i < array.Count; i++)
                    {
                        slots.Add((array, null, i));
                        if (array[i] is { } child)
                        {
                            Walk(child);
                        }
                    }

                    break;
            }
        }

        Walk(node);
        return slots.Count == 0 ? (null, null, null) : slots[random.Next(slots.Count)];
    }

    private static string RouteValue(Random random, string parameter, string ownOffering) => random.Next(3) switch
    {
        0 => parameter switch
        {
            "offeringId" or "instanceId" => ownOffering,
            "partnerId" => "contoso",
            "gateId" => "member-contoso",
            "name" => WriteOfferingSheetActivity.MarkdownName,
            "documentName" => "v1",
            _ => "probe",
        },
        1 => new string('a', random.Next(60, 3000)),
        _ => HostileString(random),
    };

    private static string HostileString(Random random) => random.Next(5) == 0
        ? string.Concat(Enumerable.Range(0, random.Next(1, 40)).Select(_ => (char)random.Next(0, 0xD7FF)))
        : Pick(random, Hostile);

    /// <summary>HTTP headers cannot carry CR, LF or NUL: the client refuses them before the server sees them.</summary>
    private static string HeaderSafe(string value) => new([.. value.Where(c => c is >= ' ' and <= '~')]);

    private static string Deep(int depth) => string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth);

    private static T Pick<T>(Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];

    private sealed record FuzzRequest(string Method, string Path, IReadOnlyList<(string Name, string Value)> Headers, byte[]? Body, string? ContentType)
    {
        public HttpRequestMessage ToRequest()
        {
            var request = new HttpRequestMessage(new HttpMethod(Method), new Uri(Path, UriKind.Relative));
            if (Body is not null)
            {
                request.Content = new ByteArrayContent(Body);
                if (ContentType is not null && MediaTypeHeaderValue.TryParse(ContentType, out var type))
                {
                    request.Content.Headers.ContentType = type;
                }
            }

            foreach (var (name, value) in Headers)
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }

            return request;
        }

        public override string ToString() =>
            $"{Method} {Path[..Math.Min(Path.Length, 200)]} [{string.Join(", ", Headers.Select(h => $"{h.Name}: {h.Value[..Math.Min(h.Value.Length, 40)]}"))}] {ContentType} {(Body is null ? "no body" : Encoding.UTF8.GetString(Body, 0, Math.Min(Body.Length, 200)))}";
    }
}
