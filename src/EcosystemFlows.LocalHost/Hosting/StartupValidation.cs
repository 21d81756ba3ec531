using Microsoft.Extensions.Options;

namespace EcosystemFlows.LocalHost.Hosting;

/// <summary>Runs every <c>ValidateOnStart</c> options validation and collects the failures.</summary>
internal static class StartupValidation
{
    public static IReadOnlyList<string> Run(IServiceProvider services)
    {
        try
        {
            services.GetRequiredService<IStartupValidator>().Validate();
            return [];
        }
        catch (OptionsValidationException ex)
        {
            return [.. ex.Failures];
        }
        catch (AggregateException ex) when (ex.InnerExceptions.All(e => e is OptionsValidationException))
        {
            // Several option classes failed: the validator aggregates one exception per class.
            return [.. ex.InnerExceptions.Cast<OptionsValidationException>().SelectMany(e => e.Failures)];
        }
    }
}
