using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using EcosystemFlows.Api.Offerings;
using EcosystemFlows.Api.Security;
using EcosystemFlows.Domain.Tests;
using EcosystemFlows.Workflows.JointOffering;
using EcosystemFlows.Workflows.Security;

namespace EcosystemFlows.IntegrationTests.EndToEnd;

/// <summary>What the end-to-end tests do over the app's HTTP API, as a partner, approver or operator would.</summary>
internal static class OfferingsApi
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    /// <summary>A client of <paramref name="app"/> with a development token for the user, organisation and roles.</summary>
    public static HttpClient As(AppProcess app, AuthOptions auth, string user, string org, params string[] roles)
    {
        var client = new HttpClient { BaseAddress = app.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", DevelopmentTokens.Mint(auth, user, org, roles, TimeSpan.FromMinutes(10), DateTimeOffset.UtcNow));
        return client;
    }

    /// <summary>Registers the example partners, each as itself.</summary>
    public static async Task RegisterPartnersAsync(AppProcess app, AuthOptions auth)
    {
        foreach (var partner in Examples.Partners().Values)
        {
            using var onboarding = As(app, auth, "onboarding", partner.PartnerId, Roles.Partner);
            using var registered = await onboarding.PostAsJsonAsync("/api/partners", partner, Json);
            Assert.True(registered.IsSuccessStatusCode, await registered.Content.ReadAsStringAsync());
        }
    }

    /// <summary>Starts the example offering with an idempotency key; returns its id.</summary>
    public static async Task<string> StartAsync(HttpClient client, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/offerings") { Content = JsonContent.Create(new StartOfferingRequest(Examples.Terms(), 10), options: Json) };
        request.Headers.Add(JointOfferingApi.IdempotencyKeyHeader, key);
        using var response = await client.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<OfferingAccepted>(Json))!.OfferingId;
    }

    /// <summary>
    /// Polls the offering until it is in one of <paramref name="stages"/>; on timeout, the message carries the instance's
    /// history (the client needs the operator role for it) and the app's output.
    /// </summary>
    public static async Task<OfferingView> WaitForStageAsync(HttpClient client, string id, AppProcess app, params OfferingStage[] stages)
    {
        // Generous: under CI's load one offering took 90 s to record four sign-offs (Azurite slow, activity messages
        // redelivered after the crash test's 5 s visibility timeout); a healthy run returns within seconds.
        var deadline = DateTime.UtcNow.AddSeconds(180);
        OfferingView? view = null;
        while (DateTime.UtcNow < deadline)
        {
            using var response = await client.GetAsync(new Uri($"/api/offerings/{id}", UriKind.Relative));
            if (response.StatusCode == HttpStatusCode.OK)
            {
                view = await response.Content.ReadFromJsonAsync<OfferingView>(Json);
                if (stages.Contains(view!.Stage))
                {
                    return view;
                }
            }

            await Task.Delay(100);
        }

        using var history = await client.GetAsync(new Uri($"/webhooks/durabletask/instances/{id}?showHistory=true", UriKind.Relative));
        throw new TimeoutException(
            $"offering {id} did not reach {string.Join(" or ", stages)} (last {view?.Stage}); history ({history.StatusCode}):\n{await history.Content.ReadAsStringAsync()}\napp output:\n{app.Output}");
    }
}
