using Microsoft.Extensions.Options;

namespace Kmrl.Connectors.Hosting;

/// <summary>Checks the connector settings at start-up and names the setting and the fix in every message.</summary>
internal sealed class ConnectorHostOptionsValidator : IValidateOptions<ConnectorHostOptions>
{
    private const string S = ConnectorHostOptions.SectionName;

    public ValidateOptionsResult Validate(string? name, ConnectorHostOptions options)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ConnectorName))
        {
            errors.Add($"{S}:ConnectorName is empty: pass the connector name to AddConnectorHost.");
        }
        if (string.IsNullOrWhiteSpace(options.ScheduleBindingName) || options.ScheduleBindingName.Contains('/'))
        {
            errors.Add($"{S}:ScheduleBindingName '{options.ScheduleBindingName}' must be the cron binding's component name (no '/').");
        }
        if (options.LockLeaseDuration < TimeSpan.FromSeconds(10))
        {
            errors.Add($"{S}:LockLeaseDuration is {options.LockLeaseDuration}; it must be at least 00:00:10.");
        }
        if (options.LeaseSafetyMargin <= TimeSpan.Zero || options.LeaseSafetyMargin >= options.LockLeaseDuration)
        {
            errors.Add($"{S}:LeaseSafetyMargin is {options.LeaseSafetyMargin}; it must be above zero and below {S}:LockLeaseDuration ({options.LockLeaseDuration}), because a run stops that long before its lock lease ends.");
        }
        Positive(errors, "MaxDocumentAttempts", options.MaxDocumentAttempts);
        Positive(errors, "MaxReadAttempts", options.MaxReadAttempts);
        Positive(errors, "MaxPublishAttempts", options.MaxPublishAttempts);
        Positive(errors, "DegradedAfterConsecutiveFailures", options.DegradedAfterConsecutiveFailures);
        if (options.InteractiveDocumentsPerRun < 0)
        {
            errors.Add($"{S}:InteractiveDocumentsPerRun is {options.InteractiveDocumentsPerRun}; it must be 0 (every document on the bulk lane) or more.");
        }
        if (options.RetryBaseDelay <= TimeSpan.Zero || options.RetryMaxDelay < options.RetryBaseDelay)
        {
            errors.Add($"{S}:RetryBaseDelay ({options.RetryBaseDelay}) must be above zero and not above {S}:RetryMaxDelay ({options.RetryMaxDelay}).");
        }
        if (options.PushTriggerMaxDelay < options.RetryBaseDelay)
        {
            errors.Add($"{S}:PushTriggerMaxDelay ({options.PushTriggerMaxDelay}) must not be below {S}:RetryBaseDelay ({options.RetryBaseDelay}).");
        }
        Positive(errors, "RateLimit:TokenLimit", options.RateLimit.TokenLimit);
        Positive(errors, "RateLimit:TokensPerPeriod", options.RateLimit.TokensPerPeriod);
        if (options.RateLimit.ReplenishmentPeriod <= TimeSpan.Zero)
        {
            errors.Add($"{S}:RateLimit:ReplenishmentPeriod is {options.RateLimit.ReplenishmentPeriod}; it must be above zero.");
        }
        ValidateFilters(errors, $"{S}:Filters", options.Filters);
        foreach (var (sourceName, source) in options.Sources)
        {
            if (source.Filters is not null)
            {
                ValidateFilters(errors, $"{S}:Sources:{sourceName}:Filters", source.Filters);
            }
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Positive(List<string> errors, string setting, int value)
    {
        if (value < 1)
        {
            errors.Add($"{S}:{setting} is {value}; it must be 1 or more.");
        }
    }

    private static void ValidateFilters(List<string> errors, string path, DocumentFilterOptions filters)
    {
        if (filters.MaxSizeBytes < 1)
        {
            errors.Add($"{path}:MaxSizeBytes is {filters.MaxSizeBytes}; it must be 1 or more.");
        }
        var extensions = (filters.AllowedExtensions ?? []).Concat(filters.AdditionalExtensions);
        foreach (var extension in extensions.Where(e => string.IsNullOrWhiteSpace(e) || e.TrimStart('.').Any(c => !char.IsAsciiLetterOrDigit(c))))
        {
            errors.Add($"{path}: extension '{extension}' must be letters and digits, e.g. '.pdf' or 'pdf'.");
        }
        if (filters.AllowedExtensions is { Count: 0 } && filters.AdditionalExtensions.Count == 0)
        {
            errors.Add($"{path}:AllowedExtensions is empty, so every document would be rejected; remove it to use the defaults.");
        }
        var types = (filters.AllowedContentTypes ?? []).Concat(filters.AdditionalContentTypes);
        foreach (var type in types.Where(t => string.IsNullOrWhiteSpace(t) || !t.Contains('/')))
        {
            errors.Add($"{path}: content type '{type}' must look like 'type/subtype'.");
        }
    }
}
