using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Amqp;
using EcosystemFlows.ServiceBusEmulator.Configuration;

namespace EcosystemFlows.ServiceBusEmulator.Messaging;

/// <summary>What a subscription rule sees of a message: its system properties and its application properties.</summary>
internal sealed class FilterInput
{
    private FilterInput(Dictionary<string, object?> system, Dictionary<string, object?> user)
    {
        System = system;
        User = user;
    }

    public Dictionary<string, object?> System { get; }

    public Dictionary<string, object?> User { get; }

    public static FilterInput From(Message message)
    {
        var p = message.Properties;
        var system = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase)
        {
            ["MessageId"] = p?.MessageId?.ToString(),
            ["CorrelationId"] = p?.CorrelationId?.ToString(),
            ["Label"] = p?.Subject,
            ["Subject"] = p?.Subject,
            ["To"] = p?.To,
            ["ReplyTo"] = p?.ReplyTo,
            ["ContentType"] = p?.ContentType,
            ["SessionId"] = p?.GroupId,
            ["ReplyToSessionId"] = p?.ReplyToGroupId,
        };
        var user = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        if (message.ApplicationProperties?.Map is { } map)
        {
            foreach (var key in map.Keys)
            {
                user[key.ToString()!] = map[key];
            }
        }

        return new FilterInput(system, user);
    }
}

/// <summary>A subscription rule's filter.</summary>
internal abstract class Filter
{
    public abstract bool Matches(FilterInput input);

    public static Filter From(RuleConfig rule) => rule.Properties.FilterType.ToUpperInvariant() switch
    {
        "CORRELATION" => new CorrelationFilter(rule.Properties.CorrelationFilter
            ?? throw new InvalidDataException($"rule '{rule.Name}': FilterType Correlation needs CorrelationFilter")),
        "SQL" => SqlFilter.Parse(rule.Properties.SqlFilter?.SqlExpression ?? "1=1"),
        "TRUE" => SqlFilter.Parse("1=1"),
        "FALSE" => SqlFilter.Parse("1=0"),
        var other => throw new InvalidDataException($"rule '{rule.Name}': FilterType '{other}' is not supported (Correlation or Sql)"),
    };
}

/// <summary>Every property the filter names must equal the message's (exact, case-sensitive values).</summary>
internal sealed class CorrelationFilter(CorrelationFilterConfig config) : Filter
{
    public override bool Matches(FilterInput input)
    {
        (string Name, string? Value)[] system =
        [
            ("ContentType", config.ContentType), ("CorrelationId", config.CorrelationId), ("Label", config.Label),
            ("MessageId", config.MessageId), ("ReplyTo", config.ReplyTo), ("ReplyToSessionId", config.ReplyToSessionId),
            ("SessionId", config.SessionId), ("To", config.To),
        ];
        foreach (var (name, value) in system)
        {
            if (value is not null && !string.Equals(value, input.System[name] as string, StringComparison.Ordinal))
            {
                return false;
            }
        }

        foreach (var (name, expected) in config.Properties ?? [])
        {
            if (!input.User.TryGetValue(name, out var actual) || !SqlFilter.ValueEquals(actual, Json(expected)))
            {
                return false;
            }
        }

        return true;
    }

    private static object? Json(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Number => element.TryGetInt64(out var l) ? l : element.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };
}

/// <summary>
/// The SQL filter subset integrations use: comparisons (= &lt;&gt; != &lt; &lt;= &gt; &gt;=), AND, OR, NOT,
/// parentheses, IS [NOT] NULL, [NOT] IN (…), [NOT] LIKE with % and _, EXISTS(prop), string/number/boolean
/// literals, <c>sys.*</c> system properties and <c>user.*</c> or bare application properties. Arithmetic and
/// functions are not supported: such a rule fails at start with a clear message.
/// </summary>
internal sealed partial class SqlFilter : Filter
{
    private readonly Node root;

    private SqlFilter(Node root) => this.root = root;

    public override bool Matches(FilterInput input) => root.Evaluate(input) is true;

    public static SqlFilter Parse(string expression)
    {
        var parser = new Parser(Tokenize(expression), expression);
        var node = parser.ParseOr();
        parser.ExpectEnd();
        return new SqlFilter(node);
    }

    internal static bool ValueEquals(object? a, object? b) => Compare(a, b) == 0;

    /// <summary>Null when the values cannot be compared (SQL's unknown).</summary>
    private static int? Compare(object? a, object? b)
    {
        if (a is null || b is null)
        {
            return null;
        }

        if (IsNumber(a) && IsNumber(b))
        {
            return Convert.ToDouble(a, CultureInfo.InvariantCulture).CompareTo(Convert.ToDouble(b, CultureInfo.InvariantCulture));
        }

        if (a is bool ab && b is bool bb)
        {
            return ab == bb ? 0 : 1;
        }

        var sa = a is string s1 ? s1 : a is Guid or Amqp.Types.Symbol ? a.ToString() : null;
        var sb = b is string s2 ? s2 : b is Guid or Amqp.Types.Symbol ? b.ToString() : null;
        return sa is not null && sb is not null ? string.CompareOrdinal(sa, sb) : null;
    }

    private static bool IsNumber(object value) =>
        value is sbyte or byte or short or ushort or int or uint or long or ulong or float or double or decimal;

    private static List<string> Tokenize(string text)
    {
        var tokens = new List<string>();
        foreach (Match match in TokenPattern().Matches(text))
        {
            if (!string.IsNullOrWhiteSpace(match.Value))
            {
                tokens.Add(match.Value);
            }
        }

        return tokens;
    }

    [GeneratedRegex(@"'(?:[^']|'')*'|\[[^\]]+\]|<>|!=|<=|>=|[=<>(),]|[A-Za-z_][A-Za-z0-9_.$-]*|-?\d+(?:\.\d+)?|\s+|\S")]
    private static partial Regex TokenPattern();

    private abstract class Node
    {
        public abstract object? Evaluate(FilterInput input);
    }

    private sealed class Constant(object? value) : Node
    {
        public override object? Evaluate(FilterInput input) => value;
    }

    private sealed class Property(bool system, string name) : Node
    {
        public bool Exists(FilterInput input) => (system ? input.System : input.User).TryGetValue(name, out var v) && v is not null;

        public override object? Evaluate(FilterInput input) =>
            (system ? input.System : input.User).TryGetValue(name, out var value) ? value : null;
    }

    private sealed class Unary(Func<object?, object?> op, Node operand) : Node
    {
        public override object? Evaluate(FilterInput input) => op(operand.Evaluate(input));
    }

    private sealed class Binary(Func<FilterInput, object?> op) : Node
    {
        public override object? Evaluate(FilterInput input) => op(input);
    }

    private sealed class Parser(List<string> tokens, string text)
    {
        private int position;

        private string? Peek => position < tokens.Count ? tokens[position] : null;

        public void ExpectEnd()
        {
            if (Peek is not null)
            {
                throw Error($"unexpected '{Peek}'");
            }
        }

        public Node ParseOr()
        {
            var left = ParseAnd();
            while (Accept("OR"))
            {
                var l = left;
                var r = ParseAnd();
                left = new Binary(i => l.Evaluate(i) is true || r.Evaluate(i) is true);
            }

            return left;
        }

        private Node ParseAnd()
        {
            var left = ParseNot();
            while (Accept("AND"))
            {
                var l = left;
                var r = ParseNot();
                left = new Binary(i => l.Evaluate(i) is true && r.Evaluate(i) is true);
            }

            return left;
        }

        private Node ParseNot()
        {
            if (Accept("NOT"))
            {
                var operand = ParseNot();
                return new Unary(v => v is bool b ? !b : null, operand);
            }

            return ParseComparison();
        }

        private Node ParseComparison()
        {
            var left = ParsePrimary();
            if (Accept("IS"))
            {
                var negate = Accept("NOT");
                Expect("NULL");
                return new Binary(i => (left.Evaluate(i) is null) != negate);
            }

            var not = Accept("NOT");
            if (Accept("IN"))
            {
                Expect("(");
                var items = new List<Node> { ParsePrimary() };
                while (Accept(","))
                {
                    items.Add(ParsePrimary());
                }

                Expect(")");
                return new Binary(i =>
                {
                    var value = left.Evaluate(i);
                    return value is null ? null : items.Any(item => ValueEquals(value, item.Evaluate(i))) != not;
                });
            }

            if (Accept("LIKE"))
            {
                var pattern = ParsePrimary().Evaluate(null!) as string ?? throw Error("LIKE needs a string pattern");
                var regex = new Regex("^" + Regex.Escape(pattern).Replace("%", ".*", StringComparison.Ordinal).Replace("_", ".", StringComparison.Ordinal) + "$", RegexOptions.Singleline, TimeSpan.FromSeconds(1));
                return new Binary(i => left.Evaluate(i) is string s ? regex.IsMatch(s) != not : null);
            }

            if (not)
            {
                throw Error("NOT must be followed by IN or LIKE here");
            }

            var op = Peek;
            if (op is "=" or "<>" or "!=" or "<" or "<=" or ">" or ">=")
            {
                position++;
                var right = ParsePrimary();
                return new Binary(i =>
                {
                    var c = Compare(left.Evaluate(i), right.Evaluate(i));
                    return c is null ? null : op switch
                    {
                        "=" => c == 0,
                        "<>" or "!=" => c != 0,
                        "<" => c < 0,
                        "<=" => c <= 0,
                        ">" => c > 0,
                        _ => c >= 0,
                    };
                });
            }

            return left;
        }

        private Node ParsePrimary()
        {
            var token = Peek ?? throw Error("unexpected end");
            position++;
            if (token == "(")
            {
                var inner = ParseOr();
                Expect(")");
                return inner;
            }

            if (token.StartsWith('\''))
            {
                return new Constant(token[1..^1].Replace("''", "'", StringComparison.Ordinal));
            }

            if (char.IsDigit(token[0]) || (token[0] == '-' && token.Length > 1))
            {
                return token.Contains('.', StringComparison.Ordinal)
                    ? new Constant(double.Parse(token, CultureInfo.InvariantCulture))
                    : new Constant(long.Parse(token, CultureInfo.InvariantCulture));
            }

            switch (token.ToUpperInvariant())
            {
                case "TRUE": return new Constant(true);
                case "FALSE": return new Constant(false);
                case "NULL": return new Constant(null);
                case "EXISTS":
                    Expect("(");
                    var property = ParsePrimary() as Property ?? throw Error("EXISTS needs a property");
                    Expect(")");
                    return new Binary(i => property.Exists(i));
            }

            if (token.StartsWith('['))
            {
                return new Property(false, token[1..^1]);
            }

            if (char.IsLetter(token[0]) || token[0] == '_')
            {
                if (token.StartsWith("sys.", StringComparison.OrdinalIgnoreCase))
                {
                    return new Property(true, token[4..]);
                }

                return new Property(false, token.StartsWith("user.", StringComparison.OrdinalIgnoreCase) ? token[5..] : token);
            }

            throw Error($"unexpected '{token}'");
        }

        private bool Accept(string token)
        {
            if (Peek is { } next && string.Equals(next, token, StringComparison.OrdinalIgnoreCase))
            {
                position++;
                return true;
            }

            return false;
        }

        private void Expect(string token)
        {
            if (!Accept(token))
            {
                throw Error($"expected '{token}'");
            }
        }

        private InvalidDataException Error(string what) => new(new StringBuilder("SQL filter '").Append(text).Append("': ").Append(what).ToString());
    }
}
