using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace EcosystemFlows.Azure.Configuration;

/// <summary>Binds and validates an options class at start, so a bad setting stops the app at boot.</summary>
public static class OptionsRegistration
{
    /// <summary>
    /// Binds <typeparamref name="TOptions"/> to <paramref name="section"/>, validates its data annotations
    /// and <see cref="IValidatableObject"/> rules when the host starts, and reports failures with the
    /// setting's full name (<c>Section:Key</c>, or <c>Section__Key</c> as an environment variable).
    /// </summary>
    public static IServiceCollection AddValidatedOptions<TOptions>(this IServiceCollection services, string section)
        where TOptions : class
    {
        services.AddOptions<TOptions>()
            .BindConfiguration(section)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<TOptions>>(new SettingValidator<TOptions>(section));
        return services;
    }

    private sealed class SettingValidator<TOptions>(string section) : IValidateOptions<TOptions>
        where TOptions : class
    {
        public ValidateOptionsResult Validate(string? name, TOptions options)
        {
            var results = new List<ValidationResult>();
            Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
            if (results.Count == 0)
            {
                return ValidateOptionsResult.Success;
            }

            var failures = results.Select(r =>
            {
                var member = r.MemberNames.FirstOrDefault() ?? "?";
                return $"setting '{section}:{member}' (environment variable {section}__{member}): {r.ErrorMessage}";
            });
            return ValidateOptionsResult.Fail(failures);
        }
    }
}
