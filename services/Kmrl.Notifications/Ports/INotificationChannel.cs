namespace Kmrl.Notifications.Ports;

/// <summary>A message for people: one subject and body, for one audience (operations, a department).</summary>
/// <param name="MessageId">Stable for the event it comes from (incident, reminder, digest), so a redelivery is recognised.</param>
/// <param name="Kind">incident-opened, incident-recovered, deadline-reminder, digest.</param>
/// <param name="Items">The documents or facts the message lists, for channels that render them themselves.</param>
public sealed record OutgoingMessage(
    string MessageId,
    string Kind,
    string Audience,
    string Subject,
    string HtmlBody,
    string Text,
    IReadOnlyList<MessageItem> Items);

public sealed record MessageItem(string Title, string? Link, string? Detail);

/// <summary>Hands a message to one delivery channel (mail server, chat webhook).</summary>
public interface INotificationChannel
{
    /// <summary>The output binding's name; the send ledger records each message per channel.</summary>
    string Name { get; }

    Task SendAsync(OutgoingMessage message, IReadOnlyList<string> recipients, CancellationToken cancellationToken);
}

/// <summary>Who an audience is: addresses from the secret store, never from code.</summary>
public interface IRecipientDirectory
{
    /// <summary>The addresses of <paramref name="audience"/>; empty when none are configured.</summary>
    Task<IReadOnlyList<string>> RecipientsOfAsync(string audience, CancellationToken cancellationToken);
}
