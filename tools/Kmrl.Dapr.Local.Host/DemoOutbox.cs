using System.Globalization;
using System.Text;
using System.Text.Json;
using Kmrl.Contracts;
using Kmrl.Testing.Servers;

namespace Kmrl.Dapr.Local.Host;

/// <summary>
/// <c>--demo</c>: where the notifications service's messages go on a machine with no mail server. Its notify-email
/// binding (bindings.smtp) is pointed, through the double's metadata override, at an SMTP server on loopback (the
/// SmtpServer package, as the notification tests use), and notify-webhook (bindings.http) at a loopback listener.
/// Every mail is kept as an <c>.eml</c> file and every post as a <c>.json</c> file in <c>&lt;data&gt;/demo/mail</c>
/// (kept across starts), and each is named on the console, so whoever runs the demo reads what operations and the
/// departments would get: open an .eml in any mail client.
/// </summary>
internal sealed class DemoOutbox(string folder, LogSink log) : IAsyncDisposable
{
    private const int MaxSlug = 60;
    private readonly Lock _naming = new();
    private LoopbackSmtpServer? _smtp;
    private LoopbackWebhook? _webhook;

    public string Folder => folder;

    public async Task StartAsync()
    {
        Directory.CreateDirectory(folder);
        _smtp = new LoopbackSmtpServer { OnReceived = Keep };
        await _smtp.InitializeAsync();
        _webhook = await LoopbackWebhook.StartAsync(Keep);
        log.Info($"demo: mail catcher on {_smtp.Host}:{_smtp.Port} (notify-email) and webhook catcher on {_webhook.Url} (notify-webhook); every message lands in {folder}");
    }

    /// <summary>The components' metadata the double substitutes, so components/ stays as `dapr run -f .` reads it.</summary>
    public IReadOnlyDictionary<string, Dictionary<string, string>> ComponentOverrides
    {
        get
        {
            var smtp = _smtp ?? throw new InvalidOperationException("The outbox is not started.");
            var webhook = _webhook ?? throw new InvalidOperationException("The outbox is not started.");
            return new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal)
            {
                [DaprNames.NotificationBindings.Email] = new(StringComparer.Ordinal)
                {
                    ["host"] = smtp.Host,
                    ["port"] = smtp.Port.ToString(CultureInfo.InvariantCulture),
                },
                [DaprNames.NotificationBindings.Webhook] = new(StringComparer.Ordinal) { ["url"] = webhook.Url.ToString() },
            };
        }
    }

    private void Keep(ReceivedMail mail, byte[] bytes)
    {
        var path = NewFile(mail.Subject, ".eml");
        File.WriteAllBytes(path, bytes);
        log.Info($"demo: mail to {string.Join(", ", mail.To)}: {mail.Subject} ({path})");
    }

    private void Keep(ReceivedPost post)
    {
        string title;
        try
        {
            title = post.Json.TryGetProperty("title", out var value) ? value.GetString() ?? "" : "";
        }
        catch (JsonException)
        {
            title = "";
        }
        var path = NewFile(title, ".json");
        File.WriteAllText(path, post.Body, Encoding.UTF8);
        log.Info($"demo: webhook post: {title} ({path})");
    }

    /// <summary>A file name that sorts by arrival and says what it is: <c>20261202-143005-0007-kmrl-email-cannot-sync.eml</c>.</summary>
    private string NewFile(string subject, string extension)
    {
        lock (_naming)
        {
            var stamp = DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
            var slug = Slug(subject);
            for (var n = 1; ; n++)
            {
                var path = Path.Combine(folder, $"{stamp}-{n:D4}-{slug}{extension}");
                if (!File.Exists(path))
                {
                    return path;
                }
            }
        }
    }

    private static string Slug(string text)
    {
        var slug = new StringBuilder();
        foreach (var c in text.ToLowerInvariant())
        {
            if (slug.Length >= MaxSlug)
            {
                break;
            }
            if (char.IsAsciiLetterOrDigit(c))
            {
                slug.Append(c);
            }
            else if (slug.Length > 0 && slug[^1] != '-')
            {
                slug.Append('-');
            }
        }
        var result = slug.ToString().Trim('-');
        return result.Length == 0 ? "message" : result;
    }

    public async ValueTask DisposeAsync()
    {
        if (_webhook is not null)
        {
            await _webhook.DisposeAsync();
        }
        if (_smtp is not null)
        {
            await _smtp.DisposeAsync();
        }
    }
}
