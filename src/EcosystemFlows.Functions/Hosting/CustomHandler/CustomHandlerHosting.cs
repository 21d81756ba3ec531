using System.Diagnostics;
using System.Text.Json;
using EcosystemFlows.Azure.ServiceBus;
using EcosystemFlows.Azure.ServiceBus.Triggers;

namespace EcosystemFlows.Functions.Hosting.CustomHandler;

/// <summary>Marks the endpoint the Functions host invokes non-HTTP functions on (never an HTTP function itself).</summary>
internal sealed class FunctionsHostInvocationMetadata;

/// <summary>
/// Running as an Azure Functions custom handler: the host starts the app with
/// <c>FUNCTIONS_CUSTOMHANDLER_PORT</c>, forwards HTTP requests to it unchanged, and delivers Service Bus
/// messages itself as invocation requests (<c>POST /{functionName}</c>).
/// </summary>
internal static class CustomHandlerHosting
{
    /// <summary>The setting the Functions host starts a custom handler with.</summary>
    public const string PortSetting = "FUNCTIONS_CUSTOMHANDLER_PORT";

    /// <summary>True when the Functions host started the app.</summary>
    public static bool IsCustomHandler(this IConfiguration configuration) =>
        !string.IsNullOrEmpty(configuration[PortSetting]);

    /// <summary>
    /// Registers the invoker of non-HTTP functions. Service Bus messages are not among them: the hosted SDK
    /// processor consumes them in-process (the trigger extension cannot be obtained), so it stays registered.
    /// </summary>
    public static IServiceCollection AddCustomHandlerInvocations(this IServiceCollection services)
    {
        services.AddSingleton<FunctionInvoker>();
        return services;
    }

    /// <summary>
    /// <c>POST /{functionName}</c>: the host's invocation of a non-HTTP function. Anonymous: in this mode the
    /// app listens on 127.0.0.1 only, and the host forwards external requests only to the routes of HTTP
    /// functions, which never include this one.
    /// </summary>
    public static IEndpointRouteBuilder MapCustomHandlerInvocations(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/{functionName}", (string functionName, HttpContext context, FunctionInvoker invoker) => invoker.InvokeAsync(functionName, context))
            .AllowAnonymous()
            .ExcludeFromDescription()
            .WithMetadata(new FunctionsHostInvocationMetadata());
        return endpoints;
    }
}

/// <summary>
/// Dispatches the host's invocation requests to the same <see cref="IServiceBusHandler"/>s the standalone
/// listener runs, and maps their outcome onto what the host understands: 200 with
/// <see cref="InvocationResponse"/> completes the message; any other status fails the invocation. The host
/// then abandons the message, Service Bus redelivers it, and after the entity's max delivery count moves it
/// to the dead-letter queue (reason <c>MaxDeliveryCountExceeded</c>). A custom handler has no way to
/// dead-letter at once with its own reason (that needs the host's message actions, which only in-process
/// and isolated workers get), so a <see cref="DeadLetterMessageException"/> also answers 500 and its reason
/// is logged on every attempt; refusals are deterministic, so each redelivery is refused the same way.
/// </summary>
internal sealed class FunctionInvoker(IServiceScopeFactory scopes, IEnumerable<ServiceBusTriggerRegistration> registrations, ILogger<FunctionInvoker> logger)
{
    private readonly Dictionary<string, ServiceBusTriggerRegistration> _serviceBus = registrations.Distinct()
        .ToDictionary(r => FunctionManifest.ServiceBusFunctionName(r.HandlerType), StringComparer.OrdinalIgnoreCase);

    public async Task<IResult> InvokeAsync(string functionName, HttpContext context)
    {
        if (!_serviceBus.TryGetValue(functionName, out var registration))
        {
            CustomHandlerLog.UnknownFunction(logger, functionName);
            return Results.Problem(
                statusCode: StatusCodes.Status404NotFound,
                title: "Unknown function",
                detail: $"No non-HTTP function is named '{functionName}'. Known: {string.Join(", ", _serviceBus.Keys.Order(StringComparer.Ordinal))}.");
        }

        ServiceBusReceivedMessage message;
        try
        {
            var request = await JsonSerializer.DeserializeAsync(context.Request.Body, InvocationJsonContext.Default.InvocationRequest, context.RequestAborted)
                ?? throw new InvalidInvocationException("the body is JSON null");
            message = TriggerPayloads.DecodeServiceBus(request, FunctionManifest.TriggerBindingName, registration.Entity);
        }
        catch (Exception ex) when (ex is JsonException or InvalidInvocationException)
        {
            CustomHandlerLog.InvalidInvocation(logger, functionName, ex.Message);
            return Results.Problem(
                statusCode: StatusCodes.Status400BadRequest,
                title: "Invalid invocation request",
                detail: $"The invocation of '{functionName}' is not a custom-handler request with a Service Bus message: {ex.Message}");
        }

        using var activity = ServiceBusSender.ActivitySource.StartActivity(
            $"process {registration.Entity}", ActivityKind.Consumer, message.ApplicationProperties.GetValueOrDefault("traceparent") as string);
        activity?.SetTag("messaging.system", "servicebus");
        activity?.SetTag("messaging.message.id", message.MessageId);
        var scope = scopes.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            var handler = (IServiceBusHandler)scope.ServiceProvider.GetRequiredService(registration.HandlerType);
            try
            {
                await handler.HandleAsync(message, context.RequestAborted).ConfigureAwait(false);
            }
            catch (DeadLetterMessageException ex)
            {
                activity?.SetStatus(ActivityStatusCode.Error, ex.Reason);
                CustomHandlerLog.Refused(logger, functionName, message.MessageId, message.DeliveryCount, ex.Reason, ex.Description);
                return Failed(functionName, message, "Message refused", ex.Description, ex.Reason);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !context.RequestAborted.IsCancellationRequested)
            {
                activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
                CustomHandlerLog.Failed(logger, ex, functionName, message.MessageId, message.DeliveryCount);
                return Failed(functionName, message, "Handler failed", $"{ex.GetType().Name}: {ex.Message}", reason: null);
            }
        }

        var completed = $"{functionName} completed message {message.MessageId} (delivery {message.DeliveryCount})";
        return TypedResults.Json(new InvocationResponse([], [completed], null), InvocationJsonContext.Default.InvocationResponse);
    }

    private static IResult Failed(string functionName, ServiceBusReceivedMessage message, string title, string detail, string? reason) => Results.Problem(
        statusCode: StatusCodes.Status500InternalServerError,
        title: title,
        detail: $"{functionName}, message {message.MessageId}, delivery {message.DeliveryCount}: {detail}",
        extensions: new Dictionary<string, object?> { ["reason"] = reason, ["messageId"] = message.MessageId, ["deliveryCount"] = message.DeliveryCount });
}
