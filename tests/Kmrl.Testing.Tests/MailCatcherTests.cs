using System.Net.Http.Json;
using System.Text.Json;
using Kmrl.Testing.Servers;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Kmrl.Testing.Tests;

/// <summary>The local demo's catchers: what reaches the loopback SMTP server and webhook is also kept as files to read.</summary>
public sealed class MailCatcherTests
{
    [Fact]
    public async Task A_mail_sent_over_smtp_is_kept_as_an_eml_file_a_mail_program_opens()
    {
        using var outbox = new TempDirectory("outbox");
        var catcher = new LoopbackSmtpServer { KeepIn = outbox.Path };
        await catcher.InitializeAsync();
        try
        {
            var message = new MimeMessage();
            message.From.Add(MailboxAddress.Parse("kmrl-documents@localhost"));
            message.To.Add(MailboxAddress.Parse("finance@kmrl.demo"));
            message.Subject = "[KMRL] Deadline 6 December 2026 / സമയപരിധി ഓർമ്മപ്പെടുത്തൽ";
            message.Body = new TextPart("html") { Text = "<p>4 ദിവസം ബാക്കി</p>" };
            using (var smtp = new SmtpClient())
            {
                await smtp.ConnectAsync(catcher.Host, catcher.Port, SecureSocketOptions.None);
                await smtp.SendAsync(message);
                await smtp.DisconnectAsync(quit: true);
            }

            await catcher.WaitForAsync(1);
            var file = Assert.Single(Directory.GetFiles(outbox.Path, "*.eml"));
            var kept = await MimeMessage.LoadAsync(file);
            Assert.Equal(message.Subject, kept.Subject);
            Assert.Contains("4 ദിവസം ബാക്കി", kept.HtmlBody);
        }
        finally
        {
            await catcher.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_webhook_post_is_kept_as_a_json_file()
    {
        using var outbox = new TempDirectory("outbox");
        await using var catcher = await LoopbackWebhook.StartAsync(outbox.Path);
        using var http = new HttpClient();

        using var response = await http.PostAsJsonAsync(catcher.Url, new { kind = "incident-opened", title = "email cannot sync ops/INBOX" });

        response.EnsureSuccessStatusCode();
        var file = Assert.Single(Directory.GetFiles(outbox.Path, "*.json"));
        using var kept = JsonDocument.Parse(await File.ReadAllTextAsync(file));
        Assert.Equal("incident-opened", kept.RootElement.GetProperty("kind").GetString());
    }
}
