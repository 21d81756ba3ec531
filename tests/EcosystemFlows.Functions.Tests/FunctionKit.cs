using System.Security.Claims;
using System.Text;
using EcosystemFlows.Api;
using EcosystemFlows.Api.Security;
using EcosystemFlows.Domain.Ports;
using EcosystemFlows.Domain.Tests;
using EcosystemFlows.LocalHost.Tests.Hosting;
using EcosystemFlows.LocalHost.Tests.Workflows;
using EcosystemFlows.Workflows.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Moq;

namespace EcosystemFlows.Functions.Tests;

/// <summary>
/// What a function invocation sees, without a Functions host: the app's real services (as its Program registers them, with
/// in-memory ports), an ASP.NET Core request as the worker's ASP.NET Core integration hands it over, and a mocked
/// <see cref="FunctionContext"/> carrying it.
/// </summary>
internal static class FunctionKit
{
    /// <summary>The key under which the worker's ASP.NET Core integration keeps the invocation's request.</summary>
    private const string HttpContextKey = "HttpRequestContext";

    public static ServiceProvider Services(InMemoryPorts ports)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(AppFactory.ValidSettings()).Build();
        var services = new ServiceCollection()
            .AddLogging()
            .AddSingleton<IConfiguration>(configuration)
            .AddEcosystemFlows()
            .AddRequestBodyLimit();
        services.RemoveAll<IPartnerDirectory>().AddSingleton<IPartnerDirectory>(ports);
        services.RemoveAll<IOfferingStore>().AddSingleton<IOfferingStore>(ports);
        services.RemoveAll<ICatalog>().AddSingleton<ICatalog>(ports);
        services.RemoveAll<ISupportRouting>().AddSingleton<ISupportRouting>(ports);
        services.RemoveAll<IArtifactStore>().AddSingleton<IArtifactStore>(ports);
        return services.BuildServiceProvider();
    }

    /// <summary>In-memory ports holding the example partners.</summary>
    public static InMemoryPorts Ports()
    {
        var ports = new InMemoryPorts();
        foreach (var partner in Examples.Partners().Values)
        {
            ports.Partners[partner.PartnerId] = partner;
        }

        return ports;
    }

    public static HttpRequest Request(IServiceProvider services, string method, string path, string? json = null, ClaimsPrincipal? user = null, string? bearer = null)
    {
        var http = new DefaultHttpContext { RequestServices = services };
        http.Request.Method = method;
        http.Request.Path = path;
        http.Response.Body = new MemoryStream();
        if (json is not null)
        {
            var body = Encoding.UTF8.GetBytes(json);
            http.Request.Body = new MemoryStream(body);
            http.Request.ContentLength = body.Length;
            http.Request.ContentType = "application/json";
        }

        if (bearer is not null)
        {
            http.Request.Headers.Authorization = $"Bearer {bearer}";
        }

        if (user is not null)
        {
            http.User = user;
        }

        return http.Request;
    }

    /// <summary>An authenticated caller as the JWT handler would produce it from our tokens.</summary>
    public static ClaimsPrincipal User(string userId, string? organisation, params string[] roles)
    {
        List<Claim> claims = [new(ClaimNames.Subject, userId)];
        if (organisation is not null)
        {
            claims.Add(new(ClaimNames.Organisation, organisation));
        }

        claims.AddRange(roles.Select(r => new Claim(ClaimNames.Roles, r)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, "Bearer", ClaimNames.Subject, ClaimNames.Roles));
    }

    /// <summary>A development token signed with the test key (as <c>eng/token.sh</c> mints them).</summary>
    public static string Token(string userId, string? organisation, params string[] roles) =>
        DevelopmentTokens.Mint(
            new AuthOptions { Audience = "ecosystemflows-tests", Issuer = "ecosystemflows-tests", DevelopmentSigningKey = AppFactory.TestSigningKey },
            userId, organisation, roles, TimeSpan.FromMinutes(5), DateTimeOffset.UtcNow);

    /// <summary>A function invocation of <paramref name="entryPoint"/>; <paramref name="request"/> null for a non-HTTP trigger.</summary>
    public static Mock<FunctionContext> Invocation(IServiceProvider services, string entryPoint, HttpRequest? request)
    {
        var definition = new Mock<FunctionDefinition>();
        definition.SetupGet(d => d.EntryPoint).Returns(entryPoint);
        var items = new Dictionary<object, object>();
        if (request is not null)
        {
            items[HttpContextKey] = request.HttpContext;
        }

        var context = new Mock<FunctionContext>();
        context.SetupGet(c => c.FunctionDefinition).Returns(definition.Object);
        context.SetupGet(c => c.InstanceServices).Returns(services);
        context.SetupProperty(c => c.Items, items);
        return context;
    }

    /// <summary>Writes <paramref name="result"/> as the worker would, and returns the status and body.</summary>
    public static async Task<(int Status, string Body)> ExecuteAsync(IResult result, HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(result);
        await result.ExecuteAsync(request.HttpContext);
        return Answer(request);
    }

    /// <summary>The status and body written to <paramref name="request"/>'s response.</summary>
    public static (int Status, string Body) Answer(HttpRequest request)
    {
        var body = (MemoryStream)request.HttpContext.Response.Body;
        return (request.HttpContext.Response.StatusCode, Encoding.UTF8.GetString(body.ToArray()));
    }
}
