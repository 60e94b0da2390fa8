using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Kmrl.ClaimCheck;
using Kmrl.Contracts;
using Kmrl.Dapr.Testing;
using Kmrl.ServiceDefaults;
using Kmrl.Testing.Servers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Kmrl.Connectors.Email.Tests;

/// <summary>
/// The production Program.cs of email-connector against real Dovecot and the Dapr test sidecar: mail lands in the
/// mailbox, a cron tick arrives, and DocumentDiscovered is on pub/sub with a readable blob.
/// </summary>
public sealed class EndToEndTests : IClassFixture<DovecotImapServer>, IClassFixture<RedisServer>
{
    private readonly DovecotImapServer _dovecot;
    private readonly RedisServer _redis;

    public EndToEndTests(DovecotImapServer dovecot, RedisServer redis)
    {
        _dovecot = dovecot;
        _redis = redis;
    }

    [Fact]
    public async Task Mail_in_dovecot_becomes_document_discovered_on_pub_sub_with_a_readable_blob()
    {
        const string user = "bob";
        var attachment = RandomNumberGenerator.GetBytes(300_000);
        attachment[0] = (byte)'%'; // not a real PDF; the connector does not judge content
        await _dovecot.EnsureFolderAsync(user, "E2E");
        using (var raw = new MemoryStream())
        {
            await Message("Track circuit drawing", "TC-114.pdf", attachment).WriteToAsync(raw);
            await _dovecot.DeliverAsync(user, raw.ToArray(), "E2E");
        }

        await using var environment = await DaprTestEnvironment.StartAsync(_redis, options =>
            // The shipped mailbox's secret name: email-connector's Configuration (dapr-config/) allows only its own secrets.
            options.Secrets["email-ops-mailbox"] = new Dictionary<string, object> { ["password"] = _dovecot.Users[user] });
        var sidecar = await environment.StartSidecarAsync(DaprNames.AppIds.EmailConnector);
        await using var app = await sidecar.StartAppAsync<Program>(new Dictionary<string, string>
        {
            ["Email:Mailboxes:0:Name"] = "e2e",
            ["Email:Mailboxes:0:Host"] = _dovecot.Host,
            ["Email:Mailboxes:0:Port"] = _dovecot.Port.ToString(),
            ["Email:Mailboxes:0:UserName"] = user,
            ["Email:Mailboxes:0:Secret"] = "email-ops-mailbox",
            ["Email:Mailboxes:0:Folders:0"] = "E2E",
            ["Email:Mailboxes:0:PostProcessing"] = "Leave",
        });

        var tick = await sidecar.FireCronAsync(DaprNames.Bindings.EmailSchedule);
        var events = await environment.WaitForEventsAsync<DocumentDiscovered>(DaprNames.Topics.DocumentDiscovered, 1);

        Assert.Equal(HttpStatusCode.OK, tick);
        var discovered = Assert.Single(events);
        Assert.Equal("TC-114.pdf", discovered.FileName);
        Assert.Equal(DocumentSources.Email, discovered.Source);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(attachment)), discovered.Sha256);
        Assert.Equal(IdempotencyKey.For(discovered.Source, discovered.SourceId, discovered.Sha256), discovered.IdempotencyKey);
        Assert.Contains("Track circuit drawing", discovered.SourceMetadata.Values);
        Assert.Equal(attachment, await sidecar.ReadBlobAsync(discovered.Blob));
    }

    private static MimeMessage Message(string subject, string fileName, byte[] content)
    {
        var builder = new BodyBuilder { TextBody = "Please file the attached drawing." };
        builder.Attachments.Add(fileName, content, new ContentType("application", "pdf"));
        var message = new MimeMessage
        {
            Subject = subject,
            MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId("kmrl.example"),
            Body = builder.ToMessageBody(),
        };
        message.From.Add(new MailboxAddress("Signalling", "signalling@kmrl.example"));
        message.To.Add(new MailboxAddress("Bob", "bob@kmrl.example"));
        return message;
    }
}
