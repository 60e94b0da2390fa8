using Kmrl.Connectors.Email.Options;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Kmrl.Connectors.Email.Tests;

public sealed class OptionsTests
{
    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<Kmrl.BuildingBlocks.Secrets.ISecretProvider>(new InMemorySecrets());
        services.AddEmailSources(configuration);
        return services.BuildServiceProvider();
    }

    private static Dictionary<string, string?> Valid() => new()
    {
        ["Email:Mailboxes:0:Name"] = "ops",
        ["Email:Mailboxes:0:Host"] = "imap.kmrl.example",
        ["Email:Mailboxes:0:UserName"] = "ops@kmrl.example",
        ["Email:Mailboxes:0:Secret"] = "email-ops-mailbox",
        ["Email:Mailboxes:0:Folders:0"] = "INBOX",
        ["Email:Mailboxes:0:Folders:1"] = "Tenders",
        ["Email:Mailboxes:0:PostProcessing"] = "Move",
        ["Email:Mailboxes:1:Name"] = "finance",
        ["Email:Mailboxes:1:Host"] = "outlook.office365.com",
        ["Email:Mailboxes:1:Tls"] = "SslOnConnect",
        ["Email:Mailboxes:1:Auth"] = "OAuth2",
        ["Email:Mailboxes:1:UseIdle"] = "false",
        ["Email:Mailboxes:1:UserName"] = "finance@kmrl.example",
        ["Email:Mailboxes:1:Secret"] = "email-finance",
    };

    [Fact]
    public void Each_configured_mailbox_folder_becomes_a_source_and_idle_trigger()
    {
        using var provider = Build(Valid());

        var sources = provider.GetServices<IDocumentSource>().Select(source => source.Name).ToList();
        var triggers = provider.GetServices<IPushTrigger>().ToList();

        Assert.Equal(["ops/INBOX", "ops/Tenders", "finance/INBOX"], sources);
        Assert.Equal(2, triggers.Count);
    }

    [Theory]
    [InlineData("Email:Mailboxes:0:Host", "", "Host is required")]
    [InlineData("Email:Mailboxes:0:Secret", "", "Secret is required")]
    [InlineData("Email:Mailboxes:0:Secret", "email:ops-mailbox:password", "Secret must be a Kubernetes secret name")]
    [InlineData("Email:Mailboxes:0:Secret", "Email_Ops", "Secret must be a Kubernetes secret name")]
    [InlineData("Email:Mailboxes:0:ProcessedFolder", "Tenders", "must not be one of the watched folders")]
    [InlineData("Email:Mailboxes:1:Name", "ops", "is used twice")]
    [InlineData("Email:Mailboxes:0:DeniedSenders:0", "a@b@c", "sender pattern")]
    [InlineData("Email:IdleRestartInterval", "00:30:00", "below 29 minutes")]
    [InlineData("Email:Mailboxes:0:Tls", "None", "AllowInsecureConnection: true")]
    public void Invalid_settings_fail_at_start_up(string key, string value, string expected)
    {
        var settings = Valid();
        settings[key] = value;
        using var provider = Build(settings);

        var failure = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<EmailConnectorOptions>>().Value);
        Assert.Contains(failure.Failures, message => message.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void A_cleartext_mailbox_starts_only_with_the_lab_opt_out()
    {
        var settings = Valid();
        settings["Email:Mailboxes:0:Tls"] = "None";
        settings["Email:Mailboxes:0:AllowInsecureConnection"] = "true";
        using var provider = Build(settings);

        Assert.Equal(ImapTlsMode.None, provider.GetRequiredService<IOptions<EmailConnectorOptions>>().Value.Mailboxes[0].Tls);
    }

    [Fact]
    public void The_shipped_configuration_uses_tls_and_only_the_local_development_run_opts_out()
    {
        var directory = Path.Combine(Kmrl.Dapr.Testing.RepositoryPaths.Root, "services", "Kmrl.Connectors.Email");
        var shipped = new ConfigurationBuilder().AddJsonFile(Path.Combine(directory, "appsettings.json")).Build();
        var development = new ConfigurationBuilder().AddJsonFile(Path.Combine(directory, "appsettings.json"))
            .AddJsonFile(Path.Combine(directory, "appsettings.Development.json")).Build();

        Assert.Equal("SslOnConnect", shipped["Email:Mailboxes:0:Tls"]);
        Assert.Null(shipped["Email:Mailboxes:0:AllowInsecureConnection"]);
        Assert.Equal("None", development["Email:Mailboxes:0:Tls"]);
        Assert.Equal("True", development["Email:Mailboxes:0:AllowInsecureConnection"], ignoreCase: true);
    }

    [Theory]
    [InlineData("ops@kmrl.example", true)]
    [InlineData("clerk@finance.kmrl.example", true)]
    [InlineData("someone@spam.example", false)]
    [InlineData("noreply@kmrl.example", false)]
    [InlineData("partner@vendor.example", false)]
    public void Sender_lists_allow_domains_and_subdomains_and_deny_wins(string address, bool accepted)
    {
        var filter = new SenderFilter(["kmrl.example"], ["noreply@kmrl.example", "@spam.example"]);

        Assert.Equal(accepted, filter.Accepts([new MailboxAddress(null, address)]));
    }
}
