using Kmrl.ClaimCheck;
using Kmrl.Connectors.Email.Extensions;
using Kmrl.Connectors.Email.Tests.Support;
using Kmrl.Connectors.Ports;
using Kmrl.Connectors.Sync;
using Kmrl.Contracts;
using Kmrl.ServiceDefaults.Secrets;
using Kmrl.Testing.Servers;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Kmrl.Connectors.Email.Tests;

/// <summary>The connector host's real SyncRunner driving the IMAP source, with in-memory stand-ins for Dapr.</summary>
public sealed class ConnectorHostTests(DovecotImapServer dovecot) : IClassFixture<DovecotImapServer>
{
    private (ServiceProvider Provider, InMemoryHostPorts Ports) BuildHost(string folder)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Email:Mailboxes:0:Name"] = "ops-mailbox",
            ["Email:Mailboxes:0:Host"] = dovecot.Host,
            ["Email:Mailboxes:0:Port"] = dovecot.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Email:Mailboxes:0:Tls"] = "None",
            ["Email:Mailboxes:0:AllowInsecureConnection"] = "true",
            ["Email:Mailboxes:0:UserName"] = "alice",
            ["Email:Mailboxes:0:Secret"] = "email-ops-mailbox",
            ["Email:Mailboxes:0:Folders:0"] = folder,
            ["Email:Mailboxes:0:PostProcessing"] = "Move",
        }).Build();
        var ports = new InMemoryHostPorts();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddConnectorHost(configuration, DocumentSources.Email, DaprNames.Bindings.EmailSchedule);
        services.AddSingleton<ISyncLock>(ports);
        services.AddSingleton<ICheckpointStore>(ports);
        services.AddSingleton<IEventPublisher>(ports);
        services.AddSingleton<ISkippedItemStore>(ports);
        services.AddSingleton<IBlobStorage>(ports);
        services.AddSingleton<ISecretProvider>(InMemorySecrets.One("email-ops-mailbox", "password", dovecot.Users["alice"]));
        services.AddEmailSources(configuration);
        return (services.BuildServiceProvider(), ports);
    }

    [Fact]
    public async Task Mail_in_dovecot_becomes_document_discovered_with_a_readable_blob_and_is_moved_once_committed()
    {
        const string folder = "HostInbox";
        var pdf = Corpus.Bytes("host", 2_500_000);
        var message = Corpus.WithAttachments("Work order 7781", Corpus.Attachment("wo-7781.pdf", "application/pdf", pdf));
        var context = new ImapTestContext(dovecot);
        await context.DeliverAsync(folder, message);
        var (provider, ports) = BuildHost(folder);
        await using var _ = provider;
        var source = Assert.Single(provider.GetServices<IDocumentSource>());
        var runner = provider.GetRequiredService<SyncRunner>();

        var first = await runner.RunAsync(source, CancellationToken.None);
        var second = await runner.RunAsync(source, CancellationToken.None);

        Assert.Equal(SyncOutcome.Completed, first.Outcome);
        Assert.Equal(SyncOutcome.Completed, second.Outcome);
        var discovered = Assert.IsType<DocumentDiscovered>(Assert.Single(ports.Published).Event);
        Assert.Equal("wo-7781.pdf", discovered.FileName);
        Assert.Equal(SyncDriver.Sha256(pdf), discovered.Sha256);
        Assert.Equal(pdf.Length, discovered.Size);
        Assert.Equal("Work order 7781", discovered.SourceMetadata["subject"]);
        await using (var blob = await provider.GetRequiredService<IDocumentContentStore>().OpenReadAsync(discovered.Blob, CancellationToken.None))
        {
            Assert.Equal(SyncDriver.Sha256(pdf), (await SyncDriver.HashAsync(blob)).Sha256);
        }
        Assert.Equal(0, second.Counts.Discovered);
        Assert.Contains("\"lastUid\":1", ports.CheckpointOf(DocumentSources.Email, source.Name), StringComparison.Ordinal);

        using var client = new ImapClient();
        await client.ConnectAsync(dovecot.Host, dovecot.Port, MailKit.Security.SecureSocketOptions.None);
        await client.AuthenticateAsync("alice", dovecot.Users["alice"]);
        var processed = await client.GetFolderAsync(DovecotImapServer.ProcessedFolder);
        await processed.OpenAsync(FolderAccess.ReadOnly);
        Assert.Single(await processed.SearchAsync(SearchQuery.HeaderContains("Message-ID", message.MessageId!)));
    }

    [Fact]
    public async Task A_mail_the_client_cannot_read_is_dead_lettered_with_its_reason_and_the_next_good_mail_is_discovered()
    {
        const string folder = "HostPoison";
        var context = new ImapTestContext(dovecot);
        await context.DeliverAsync(folder, Corpus.WithAttachments("Tender " + new string('x', 5 * 1024),
            Corpus.Attachment("poison.pdf", "application/pdf", Corpus.Bytes("poison", 2000))));
        var good = Corpus.Bytes("after-poison", 3000);
        await context.DeliverAsync(folder, Corpus.WithAttachments("Good mail after the poison one", Corpus.Attachment("good.pdf", "application/pdf", good)));
        var (provider, ports) = BuildHost(folder);
        await using var _ = provider;
        var source = Assert.Single(provider.GetServices<IDocumentSource>());
        var runner = provider.GetRequiredService<SyncRunner>();

        var run = await runner.RunAsync(source, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(SyncOutcome.Completed, run.Outcome);
        var discovered = Assert.IsType<DocumentDiscovered>(Assert.Single(ports.Published).Event);
        Assert.Equal("good.pdf", discovered.FileName);
        Assert.Equal(SyncDriver.Sha256(good), discovered.Sha256);
        var dead = Assert.IsType<DeadLetteredItem>(Assert.Single(ports.Skipped));
        Assert.StartsWith("unreadable-message:", dead.Reason, StringComparison.Ordinal);
        Assert.Contains("4096", dead.Reason, StringComparison.Ordinal);
        Assert.Equal(1, run.Counts.DeadLettered);
        Assert.Contains("\"lastUid\":2", ports.CheckpointOf(DocumentSources.Email, source.Name), StringComparison.Ordinal);
    }
}
