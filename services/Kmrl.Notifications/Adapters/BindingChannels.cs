using System.Text;
using System.Text.Json;
using Dapr.Client;
using Kmrl.Contracts;
using Kmrl.Notifications.Ports;
using Kmrl.ServiceDefaults;

namespace Kmrl.Notifications.Adapters;

/// <summary>
/// Mail through a bindings.smtp output binding: operation <c>create</c>, the recipients and subject as request
/// metadata (<c>emailTo</c>, ';'-separated, and <c>subject</c> override the component's), the HTML body as raw bytes.
/// Raw, not a JSON string: the binding unquotes data that parses as a Go string literal and sends anything else as is
/// (components-contrib bindings/smtp/smtp.go Invoke), so raw UTF-8 reaches the reader unchanged.
/// </summary>
public sealed partial class SmtpBindingChannel(DaprClient dapr, string bindingName, ILogger<SmtpBindingChannel> logger) : INotificationChannel
{
    public string Name => bindingName;

    public async Task SendAsync(OutgoingMessage message, IReadOnlyList<string> recipients, CancellationToken cancellationToken)
    {
        if (recipients.Count == 0)
        {
            // A department nobody reads mail for yet: retrying would not find an address either.
            LogNoRecipients(logger, message.MessageId, message.Audience);
            return;
        }
        var request = new BindingRequest(bindingName, DaprNames.BlobOperations.Create)
        {
            Data = Encoding.UTF8.GetBytes(message.HtmlBody),
        };
        request.Metadata["emailTo"] = string.Join(';', recipients);
        request.Metadata["subject"] = message.Subject;
        await dapr.InvokeBindingAsync(request, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Message {MessageId} not mailed: the recipients secret has no addresses for {Audience}")]
    private static partial void LogNoRecipients(ILogger logger, string messageId, string audience);
}

/// <summary>
/// A chat webhook through a bindings.http output binding: operation <c>post</c> to the component's <c>url</c>, the
/// message as JSON (the binding sets <c>Content-Type: application/json</c> and fails on a non-2xx answer;
/// components-contrib bindings/http/http.go Invoke).
/// </summary>
public sealed class WebhookBindingChannel(DaprClient dapr, string bindingName) : INotificationChannel
{
    public const string PostOperation = "post";

    public string Name => bindingName;

    public async Task SendAsync(OutgoingMessage message, IReadOnlyList<string> recipients, CancellationToken cancellationToken)
    {
        var payload = new WebhookMessage(message.MessageId, message.Kind, message.Audience, message.Subject, message.Text, message.Items);
        var request = new BindingRequest(bindingName, PostOperation)
        {
            Data = JsonSerializer.SerializeToUtf8Bytes(payload, KmrlJson.Options),
        };
        await dapr.InvokeBindingAsync(request, cancellationToken);
    }
}

/// <summary>What the webhook receives: the message in a shape a chat tool's adapter can render.</summary>
public sealed record WebhookMessage(string MessageId, string Kind, string Audience, string Title, string Text, IReadOnlyList<MessageItem> Items);
