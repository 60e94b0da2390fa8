using System.Text;
using Kmrl.Dapr.Testing.Components;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Kmrl.Dapr.Testing.Runtime;

/// <summary>
/// bindings.smtp output (components-contrib <c>bindings/smtp/smtp.go</c>): one operation, <c>create</c>, that sends a
/// mail. Init needs <c>host</c> and <c>port</c>, and <c>user</c> and <c>password</c> both or neither; <c>priority</c>
/// must be 1..5 (default 3). Request metadata <c>emailFrom</c>, <c>emailTo</c>, <c>emailCC</c>, <c>emailBCC</c>,
/// <c>subject</c>, <c>priority</c> override the component's when not empty; From, To and Subject must be set by one of
/// them. Address lists split on ';'. The body is HTML: the data after <c>strconv.Unquote</c>, or as is when it does not
/// unquote (gRPC callers send raw bytes). The dial is gomail.v2's: implicit TLS on port 465, otherwise STARTTLS when
/// the server offers it; credentials only when a user is set and the server advertises AUTH; the certificate checked
/// against <c>host</c> unless <c>skipTLSVerify</c>. The binding answers with no data.
/// </summary>
public sealed class SmtpBinding : IOutputBinding
{
    private readonly string _host;
    private readonly int _port;
    private readonly string _user;
    private readonly string _password;
    private readonly bool _skipTlsVerify;
    private readonly Fields _defaults;

    private sealed record Fields(string From, string To, string Cc, string Bcc, string Subject, int Priority);

    public SmtpBinding(ComponentSpec component, string appId)
    {
        Name = component.Name;
        string Value(string key) => component.Get(key) ?? string.Empty;
        ComponentInitException Fail(string message) => new(appId, component.Name, component.Type, component.Version, message);

        _host = Value("host");
        _port = int.TryParse(Value("port"), out var port) ? port : 0;
        if (_host.Length == 0 || _port == 0)
        {
            throw Fail("smtp binding error: host and port fields are required in metadata");
        }
        _user = Value("user");
        _password = Value("password");
        if ((_user.Length > 0) != (_password.Length > 0))
        {
            throw Fail("smtp binding error: both user and password fields are required in metadata");
        }
        _skipTlsVerify = GoDecoding.IsTruthy(Value("skipTLSVerify"));
        _defaults = new Fields(Value("emailFrom"), Value("emailTo"), Value("emailCC"), Value("emailBCC"), Value("subject"),
            ParsePriority(Value("priority")) ?? throw Fail("smtp binding error:  priority value must be between 1 (highest) and 5 (lowest)"));
    }

    public string Name { get; }

    /// <summary>Mails sent, for tests that assert what reached the server.</summary>
    public int Sent { get; private set; }

    public async Task<(byte[] Data, Dictionary<string, string> Metadata)> InvokeAsync(
        string operation, byte[] data, IReadOnlyDictionary<string, string> metadata, CancellationToken ct)
    {
        if (operation != "create")
        {
            // daprd checks the operation against Operations() before invoking (pkg/runtime: sendToOutputBinding).
            throw new BindingException($"binding {Name} does not support operation {operation}. supported operations:create");
        }
        string Override(string key, string fallback) => metadata.TryGetValue(key, out var v) && v.Length > 0 ? v : fallback;
        var priority = metadata.TryGetValue("priority", out var p) && p.Length > 0
            ? ParsePriority(p) ?? throw new BindingException("smtp binding error:  priority value must be between 1 (highest) and 5 (lowest)")
            : _defaults.Priority;
        var fields = new Fields(Override("emailFrom", _defaults.From), Override("emailTo", _defaults.To), Override("emailCC", _defaults.Cc),
            Override("emailBCC", _defaults.Bcc), Override("subject", _defaults.Subject), priority);
        foreach (var (value, key) in new[] { (fields.From, "emailFrom"), (fields.To, "emailTo"), (fields.Subject, "subject") })
        {
            if (value.Length == 0)
            {
                throw new BindingException($"smtp binding error: {key} property not supplied in configuration- or request-metadata");
            }
        }

        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(fields.From));
        AddAll(message.To, fields.To);
        AddAll(message.Cc, fields.Cc);
        AddAll(message.Bcc, fields.Bcc);
        message.Subject = fields.Subject;
        message.Headers.Add("X-priority", fields.Priority.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var body = GoDecoding.TryUnquote(data, out var unquoted) ? unquoted : data;
        message.Body = new TextPart("html") { Text = Encoding.UTF8.GetString(body) };

        try
        {
            using var client = new SmtpClient();
            if (_skipTlsVerify)
            {
                client.ServerCertificateValidationCallback = (_, _, _, _) => true;
            }
            await client.ConnectAsync(_host, _port, _port == 465 ? SecureSocketOptions.SslOnConnect : SecureSocketOptions.StartTlsWhenAvailable, ct);
            if (_user.Length > 0 && client.Capabilities.HasFlag(SmtpCapabilities.Authentication))
            {
                await client.AuthenticateAsync(_user, _password, ct);
            }
            await client.SendAsync(message, ct);
            await client.DisconnectAsync(quit: true, ct);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            throw new BindingException($"error from smtp binding, sending email failed: {exception.Message}");
        }
        Sent++;
        return ([], []);
    }

    private static void AddAll(InternetAddressList list, string addresses)
    {
        if (addresses.Length == 0)
        {
            return;
        }
        foreach (var address in addresses.Split(';'))
        {
            list.Add(MailboxAddress.Parse(address));
        }
    }

    private static int? ParsePriority(string text) =>
        text.Length == 0 ? 3 : int.TryParse(text, out var value) && value is >= 1 and <= 5 ? value : null;
}
