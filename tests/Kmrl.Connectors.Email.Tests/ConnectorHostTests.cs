using Kmrl.ClaimCheck;
using Kmrl.Connectors.Email.Tests.Support;
using Kmrl.Connectors.Ports;
using Kmrl.Contracts;
using Kmrl.Testing.Servers;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using Microsoft.Extensions.DependencyInjection;

namespace Kmrl.Connectors.Email.Tests;

/// <summary>The connector host's real runner driving the IMAP source as the app registers it, with Dapr in memory (the kit's ContractHost).</summary>
public sealed class ConnectorHostTests(DovecotImapServer dovecot) : IClassFixture<DovecotImapServer>
{
    private ContractHost BuildHost(string folder) => new(
        new ContractOptions
        {
            Connector = DocumentSources.Email,
            ScheduleBinding = DaprNames.Bindings.EmailSchedule,
            Settings = new Dictionary<string, string?>
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
            },
            Ports = new ConnectorPorts { Secrets = InMemorySecrets.One("email-ops-mailbox", "password", dovecot.Users["alice"]) },
        },
        builder => builder.Services.AddEmailSources(builder.Configuration));

    [Fact]
    public async Task Mail_in_dovecot_becomes_document_discovered_with_a_readable_blob_and_is_moved_once_committed()
    {
        const string folder = "HostInbox";
        var pdf = Corpus.Bytes("host", 2_500_000);
        var message = Corpus.WithAttachments("Work order 7781", Corpus.Attachment("wo-7781.pdf", "application/pdf", pdf));
        await using var context = new ImapTestContext(dovecot);
        await context.DeliverAsync(folder, message);
        await using var host = BuildHost(folder);
        var source = Assert.Single(host.Sources);

        var first = await host.RunAsync(source);
        var second = await host.RunAsync(source);

        Assert.True(first.Completed);
        Assert.True(second.Completed);
        var discovered = Assert.IsType<DocumentDiscovered>(Assert.Single(host.Ports.Publisher.Events).Event);
        Assert.Equal("wo-7781.pdf", discovered.FileName);
        Assert.Equal(SourceContract.Sha256(pdf), discovered.Sha256);
        Assert.Equal(pdf.Length, discovered.Size);
        Assert.Equal("Work order 7781", discovered.SourceMetadata["subject"]);
        await using (var blob = await host.Services.GetRequiredService<IDocumentContentStore>().OpenReadAsync(discovered.Blob, CancellationToken.None))
        {
            Assert.Equal(SourceContract.Sha256(pdf), (await SourceContract.HashAsync(blob)).Sha256);
        }
        Assert.Empty(second.Documents);
        Assert.Contains("\"lastUid\":1", host.Ports.Checkpoints.ValueOf(DocumentSources.Email, source.Name), StringComparison.Ordinal);

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
        await using var context = new ImapTestContext(dovecot);
        await context.DeliverAsync(folder, Corpus.WithAttachments("Tender " + new string('x', 5 * 1024),
            Corpus.Attachment("poison.pdf", "application/pdf", Corpus.Bytes("poison", 2000))));
        var good = Corpus.Bytes("after-poison", 3000);
        await context.DeliverAsync(folder, Corpus.WithAttachments("Good mail after the poison one", Corpus.Attachment("good.pdf", "application/pdf", good)));
        await using var host = BuildHost(folder);
        var source = Assert.Single(host.Sources);

        var run = await host.RunAsync(source).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(run.Completed);
        var discovered = Assert.Single(host.Ports.Publisher.Discovered);
        // The dead letter is announced, for the notifications service's alert to operations.
        Assert.Equal([DaprNames.Topics.ConnectorItemDeadLettered, DaprNames.Topics.DocumentDiscovered],
            host.Ports.Publisher.Events.Select(e => e.Topic).Order(StringComparer.Ordinal));
        Assert.Equal("good.pdf", discovered.FileName);
        Assert.Equal(SourceContract.Sha256(good), discovered.Sha256);
        var dead = Assert.IsType<DeadLetteredItem>(Assert.Single(host.Ports.SkippedItems.Items));
        Assert.StartsWith("unreadable-message:", dead.Reason, StringComparison.Ordinal);
        Assert.Contains("4096", dead.Reason, StringComparison.Ordinal);
        Assert.Single(run.DeadLettered);
        Assert.Contains("\"lastUid\":2", host.Ports.Checkpoints.ValueOf(DocumentSources.Email, source.Name), StringComparison.Ordinal);
    }
}
