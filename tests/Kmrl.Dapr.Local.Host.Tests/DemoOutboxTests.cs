using System.Text;
using System.Text.Json;
using Dapr.Client;
using Kmrl.Contracts;
using Kmrl.Dapr.Testing;
using Kmrl.Testing.Servers;
using MimeKit;

namespace Kmrl.Dapr.Local.Host.Tests;

/// <summary>
/// The demo's outbox: with its overrides applied, the notifications sidecar's notify-email (bindings.smtp) and
/// notify-webhook (bindings.http) components from components/ deliver to loopback catchers, which keep each mail as an
/// .eml file and each post as a .json file under the data folder and name them on the console.
/// </summary>
public sealed class DemoOutboxTests(RedisServer redis) : IClassFixture<RedisServer>
{
    [Fact]
    public async Task A_mail_and_a_webhook_post_of_the_notifications_service_land_as_eml_and_json_files_named_on_the_console()
    {
        using var data = new TempDirectory("demo-outbox");
        var folder = Path.Combine(data.Path, "demo", "mail");
        var logs = Path.Combine(data.Path, "logs");
        using var log = new LogSink(logs);
        await using var outbox = new DemoOutbox(folder, log);
        await outbox.StartAsync();
        await using var environment = await DaprTestEnvironment.StartAsync(redis, options =>
        {
            foreach (var (component, metadata) in outbox.ComponentOverrides)
            {
                options.MetadataOverrides[component] = metadata;
            }
        });
        var sidecar = await environment.StartSidecarAsync(DaprNames.AppIds.Notifications);
        using var client = sidecar.CreateClient();

        // As the notifications service's channels send (SmtpBindingChannel, WebhookBindingChannel).
        const string subject = "[KMRL] email cannot sync ops/INBOX (incident 1)";
        var mail = new BindingRequest(DaprNames.NotificationBindings.Email, DaprNames.BlobOperations.Create)
        {
            Data = Encoding.UTF8.GetBytes("<p>The mailbox refused the password. / മെയിൽബോക്സ് ലഭ്യമല്ല</p>"),
        };
        mail.Metadata["emailTo"] = "operations@kmrl.demo;oncall@kmrl.demo";
        mail.Metadata["subject"] = subject;
        await client.InvokeBindingAsync(mail);
        var post = new BindingRequest(DaprNames.NotificationBindings.Webhook, "post")
        {
            Data = JsonSerializer.SerializeToUtf8Bytes(new { messageId = "incident:email:ops/INBOX:1:opened", kind = "incident-opened", title = subject }),
        };
        await client.InvokeBindingAsync(post);

        var eml = Assert.Single(Directory.GetFiles(folder, "*.eml"));
        Assert.EndsWith("-0001-kmrl-email-cannot-sync-ops-inbox-incident-1.eml", eml, StringComparison.Ordinal);
        var message = await MimeMessage.LoadAsync(eml);
        Assert.Equal(subject, message.Subject);
        Assert.Equal(["operations@kmrl.demo", "oncall@kmrl.demo"], message.To.Mailboxes.Select(m => m.Address));
        Assert.Contains("മെയിൽബോക്സ് ലഭ്യമല്ല", message.HtmlBody, StringComparison.Ordinal);
        var json = Assert.Single(Directory.GetFiles(folder, "*.json"));
        using (var posted = JsonDocument.Parse(await File.ReadAllTextAsync(json)))
        {
            Assert.Equal("incident-opened", posted.RootElement.GetProperty("kind").GetString());
        }

        // The console (and the tool's log) says where each went.
        using var reader = new StreamReader(new FileStream(Path.Combine(logs, "kmrl-local.log"), FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
        var lines = await reader.ReadToEndAsync();
        Assert.Contains($"demo: mail to operations@kmrl.demo, oncall@kmrl.demo: {subject} ({eml})", lines, StringComparison.Ordinal);
        Assert.Contains($"demo: webhook post: {subject} ({json})", lines, StringComparison.Ordinal);
    }
}
