using Kmrl.BuildingBlocks;
using Kmrl.BuildingBlocks.Secrets;
using Kmrl.Connectors.Email.Imap;
using Kmrl.Connectors.Email.Options;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Kmrl.Connectors.Email;

public static class EmailSourcesExtensions
{
    /// <summary>The mailboxes of section <c>Email</c> as sources of the connector host (see <see cref="AddEmailSources(IServiceCollection, IConfiguration)"/>).</summary>
    public static TBuilder AddEmailSources<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddEmailSources(builder.Configuration);
        return builder;
    }

    /// <summary>
    /// Registers one <see cref="IDocumentSource"/> per configured mailbox folder (named <c>mailbox/folder</c>) and,
    /// where IDLE is on, one <see cref="IPushTrigger"/> per folder, for the connector host to drive.
    /// </summary>
    public static IServiceCollection AddEmailSources(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(EmailConnectorOptions.SectionName);
        services.AddOptions<EmailConnectorOptions>().Bind(section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EmailConnectorOptions>, EmailConnectorOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IImapClientFactory, DefaultImapClientFactory>();
        services.AddDaprBuildingBlocks();
        services.TryAddSingleton<ImapConnector>();

        // The set of sources is fixed at start-up: read the folder list now, build each source from validated options.
        var configured = section.Get<EmailConnectorOptions>() ?? new EmailConnectorOptions();
        foreach (var mailbox in configured.Mailboxes)
        {
            var mailboxName = mailbox.Name;
            foreach (var folder in mailbox.EffectiveFolders)
            {
                services.AddDocumentSource(provider => new ImapFolderSource(
                    Mailbox(provider, mailboxName), folder, Options(provider), provider.GetRequiredService<ImapConnector>(),
                    provider.GetRequiredService<ILogger<ImapFolderSource>>()));
                if (mailbox.UseIdle)
                {
                    services.AddSingleton<IPushTrigger>(provider => new ImapIdleTrigger(
                        Mailbox(provider, mailboxName), folder, Options(provider), provider.GetRequiredService<ImapConnector>(),
                        provider.GetRequiredService<TimeProvider>(), provider.GetRequiredService<ILogger<ImapIdleTrigger>>()));
                }
            }
        }
        return services;
    }

    private static EmailConnectorOptions Options(IServiceProvider provider) =>
        provider.GetRequiredService<IOptions<EmailConnectorOptions>>().Value;

    private static MailboxOptions Mailbox(IServiceProvider provider, string name) =>
        Options(provider).Mailboxes.Single(mailbox => mailbox.Name == name);
}
