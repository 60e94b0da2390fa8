using Kmrl.BuildingBlocks.Secrets;
using Microsoft.Extensions.Options;

namespace Kmrl.Connectors.Email.Options;

/// <summary>Checks the mailbox configuration at start-up, so a typo fails the deployment instead of a 3 a.m. poll.</summary>
public sealed class EmailConnectorOptionsValidator : IValidateOptions<EmailConnectorOptions>
{
    public ValidateOptionsResult Validate(string? name, EmailConnectorOptions options)
    {
        var failures = new List<string>();
        if (options.FetchChunkSize is < 4096 or > 16 * 1024 * 1024)
        {
            failures.Add("Email:FetchChunkSize must be between 4 KiB and 16 MiB.");
        }
        if (options.SummaryBatchSize < 1)
        {
            failures.Add("Email:SummaryBatchSize must be positive.");
        }
        if (options.PoisonMessageAttempts is < 1 or > 10)
        {
            failures.Add("Email:PoisonMessageAttempts must be between 1 and 10.");
        }
        if (options.IdleRestartInterval <= TimeSpan.Zero || options.IdleRestartInterval >= TimeSpan.FromMinutes(29))
        {
            failures.Add("Email:IdleRestartInterval must be positive and below 29 minutes (RFC 2177).");
        }
        if (options.IdleReconnectInitialDelay <= TimeSpan.Zero || options.IdleReconnectMaxDelay < options.IdleReconnectInitialDelay)
        {
            failures.Add("Email:IdleReconnectInitialDelay must be positive and not above IdleReconnectMaxDelay.");
        }

        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < options.Mailboxes.Count; i++)
        {
            var mailbox = options.Mailboxes[i];
            var at = $"Email:Mailboxes:{i}";
            if (string.IsNullOrWhiteSpace(mailbox.Name) || mailbox.Name.Contains('/'))
            {
                failures.Add($"{at}:Name is required and must not contain '/'.");
            }
            else if (!names.Add(mailbox.Name))
            {
                failures.Add($"{at}:Name '{mailbox.Name}' is used twice.");
            }
            if (string.IsNullOrWhiteSpace(mailbox.Host))
            {
                failures.Add($"{at}:Host is required.");
            }
            if (mailbox.Port is < 1 or > 65535)
            {
                failures.Add($"{at}:Port must be 1-65535.");
            }
            if (!Enum.IsDefined(mailbox.Tls) || !Enum.IsDefined(mailbox.Auth) || !Enum.IsDefined(mailbox.PostProcessing))
            {
                failures.Add($"{at}: Tls, Auth or PostProcessing has an unknown value.");
            }
            else if (mailbox.Tls == ImapTlsMode.None && !mailbox.AllowInsecureConnection)
            {
                failures.Add($"{at}:Tls is None: the password or token would travel in clear text. Use SslOnConnect (port 993) or StartTls; a lab server without TLS needs {at}:AllowInsecureConnection: true.");
            }
            if (string.IsNullOrWhiteSpace(mailbox.UserName))
            {
                failures.Add($"{at}:UserName is required.");
            }
            if (string.IsNullOrWhiteSpace(mailbox.Secret))
            {
                failures.Add($"{at}:Secret is required (the secret holding the mailbox's password or OAuth2 token).");
            }
            else if (!SecretNames.IsValidName(mailbox.Secret))
            {
                failures.Add($"{at}:Secret must be a Kubernetes secret name: lowercase letters, digits, '-' and '.' (no ':'), e.g. 'email-ops-mailbox'.");
            }
            var folders = mailbox.EffectiveFolders;
            if (folders.Any(string.IsNullOrWhiteSpace) || folders.Distinct(StringComparer.Ordinal).Count() != folders.Count)
            {
                failures.Add($"{at}:Folders must be non-empty names, each once.");
            }
            if (mailbox.PostProcessing == PostProcessing.Move)
            {
                if (string.IsNullOrWhiteSpace(mailbox.ProcessedFolder))
                {
                    failures.Add($"{at}:ProcessedFolder is required when PostProcessing is Move.");
                }
                else if (folders.Contains(mailbox.ProcessedFolder, StringComparer.Ordinal))
                {
                    // Moving into a watched folder would feed every message back in.
                    failures.Add($"{at}:ProcessedFolder '{mailbox.ProcessedFolder}' must not be one of the watched folders.");
                }
            }
            if (mailbox.PostProcessing == PostProcessing.Flag && string.IsNullOrWhiteSpace(mailbox.ProcessedKeyword))
            {
                failures.Add($"{at}:ProcessedKeyword is required when PostProcessing is Flag.");
            }
            foreach (var pattern in mailbox.AllowedSenders.Concat(mailbox.DeniedSenders))
            {
                if (!SenderFilter.IsValidPattern(pattern))
                {
                    failures.Add($"{at}: sender pattern '{pattern}' is not an address, '@domain' or 'domain'.");
                }
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
