using System.Globalization;
using System.Net;
using System.Text;
using Kmrl.Notifications.Ports;

namespace Kmrl.Notifications.Delivery;

/// <summary>
/// The words of every message. Department messages (reminders, digests) carry English and Malayalam, since KMRL's
/// staff read both; operations alerts are English, as the runbooks are.
/// </summary>
public static class MessageTexts
{
    public const string OperationsAudience = "operations";

    public static OutgoingMessage IncidentOpened(string messageId, string connector, string source, int number, int failedRuns, string error, DateTimeOffset since)
    {
        var subject = $"[KMRL] {connector} cannot sync {source} (incident {number})";
        var text = $"{connector} has failed {failedRuns} runs in a row for {source} since {Stamp(since)}. Last error: {error}. "
            + "No new documents arrive from this source until it is fixed; you get one more message when it recovers.";
        return Message(messageId, "incident-opened", OperationsAudience, subject, text,
            [new MessageItem($"{connector} / {source}", null, error)]);
    }

    public static OutgoingMessage IncidentRecovered(string messageId, string connector, string source, int number, int failedRuns, DateTimeOffset since, DateTimeOffset at)
    {
        var subject = $"[KMRL] {connector} syncs {source} again (incident {number} resolved)";
        var text = $"{connector} completed a run for {source} at {Stamp(at)} after {failedRuns} failed runs since {Stamp(since)}. "
            + "Documents held back at the source are read from the stored checkpoint.";
        return Message(messageId, "incident-recovered", OperationsAudience, subject, text,
            [new MessageItem($"{connector} / {source}", null, "recovered")]);
    }

    public static OutgoingMessage PipelineDegraded(string messageId, string condition, int number, string detail, DateTimeOffset since)
    {
        var (subject, text) = condition == Incidents.PipelineIncidents.Backlog
            ? ($"[KMRL] The document pipeline is behind (incident {number})",
                $"Since {Stamp(since)} more documents wait for processing than the pipeline's degraded depth: {detail}. "
                + "Uploads and arrivals are still accepted; check OCR durations and the document-pipeline replicas. You get one more message when it clears.")
            : ($"[KMRL] Documents are being dead-lettered (incident {number})",
                $"Since {Stamp(since)} the pipeline has given up on documents after their delivery retries; the latest: {detail}. "
                + "They are listed under dead letters in the operations page, where each can be replayed once the cause is fixed. You get one more message when no more arrive.");
        return Message(messageId, "incident-opened", OperationsAudience, subject, text, [new MessageItem($"document-api / {condition}", null, detail)]);
    }

    public static OutgoingMessage PipelineRecovered(string messageId, string condition, int number, int reports, DateTimeOffset since, DateTimeOffset at)
    {
        var (subject, text) = condition == Incidents.PipelineIncidents.Backlog
            ? ($"[KMRL] The document pipeline has caught up (incident {number} resolved)",
                $"No replica has reported a backlog past its depth since before {Stamp(at)} ({reports} reports since {Stamp(since)}).")
            : ($"[KMRL] No more documents are being dead-lettered (incident {number} resolved)",
                $"No document has been dead-lettered for a while as of {Stamp(at)} ({reports} since {Stamp(since)}). Replay the ones listed once their cause is fixed.");
        return Message(messageId, "incident-recovered", OperationsAudience, subject, text, [new MessageItem($"document-api / {condition}", null, "recovered")]);
    }

    public static OutgoingMessage ConnectorDeadLettersOpened(string messageId, string connector, string source, int number, string detail, DateTimeOffset since)
    {
        var subject = $"[KMRL] {connector} is giving up on items of {source} (incident {number})";
        var text = $"Since {Stamp(since)} {connector} has dead-lettered items of {source} it could not read after its attempts; the first: {detail}. "
            + $"GET /connector/dead-letters on {connector} lists them; an inbox item (WhatsApp, a webhook) can be replayed there once the cause is fixed, "
            + "other items are read again when they change at the source. You get one more message when no more arrive.";
        return Message(messageId, "incident-opened", OperationsAudience, subject, text, [new MessageItem($"{connector} / {source}", null, detail)]);
    }

    public static OutgoingMessage ConnectorDeadLettersRecovered(string messageId, string connector, string source, int number, int deadLetters,
        DateTimeOffset since, DateTimeOffset at, TimeSpan quiet)
    {
        var subject = $"[KMRL] {connector} no longer gives up on items of {source} (incident {number} resolved)";
        var text = $"{connector} has dead-lettered no item of {source} for {Hours(quiet)} as of {Stamp(at)} ({deadLetters} dead letters since {Stamp(since)}). "
            + "Those listed in GET /connector/dead-letters stay there until replayed.";
        return Message(messageId, "incident-recovered", OperationsAudience, subject, text, [new MessageItem($"{connector} / {source}", null, "recovered")]);
    }

    public static OutgoingMessage DeadlineReminder(string messageId, string department, string fileName, DateOnly deadline, int daysLeft, string documentLink, string acknowledgeLink)
    {
        var date = deadline.ToString("d MMMM yyyy", CultureInfo.InvariantCulture);
        var subject = $"[KMRL] Deadline {date}: {fileName} / സമയപരിധി ഓർമ്മപ്പെടുത്തൽ";
        var text = $"{fileName} names a deadline on {date} ({daysLeft} days left) and was routed to {department}. "
            + $"Acknowledge to stop these reminders: {acknowledgeLink}\n"
            + $"{fileName} എന്ന രേഖയിലെ സമയപരിധി {date} ആണ് ({daysLeft} ദിവസം ബാക്കി). ഓർമ്മപ്പെടുത്തലുകൾ നിർത്താൻ കൈപ്പറ്റിയതായി അറിയിക്കുക: {acknowledgeLink}";
        return Message(messageId, "deadline-reminder", department, subject, text,
            [new MessageItem(fileName, documentLink, $"deadline {deadline:yyyy-MM-dd}"), new MessageItem("Acknowledge / കൈപ്പറ്റി", acknowledgeLink, null)]);
    }

    public static OutgoingMessage Digest(string messageId, string department, DateOnly date, IReadOnlyList<MessageItem> documents)
    {
        var day = date.ToString("d MMMM yyyy", CultureInfo.InvariantCulture);
        var subject = $"[KMRL] {department}: {documents.Count} new documents, {day} / ദൈനംദിന സംഗ്രഹം";
        var text = $"{documents.Count} documents were routed to {department} for {day}.\n"
            + $"{day}-ന് {department} വിഭാഗത്തിലേക്ക് {documents.Count} രേഖകൾ അയച്ചിട്ടുണ്ട്.";
        return Message(messageId, "digest", department, subject, text, documents);
    }

    private static OutgoingMessage Message(string messageId, string kind, string audience, string subject, string text, IReadOnlyList<MessageItem> items)
    {
        var html = new StringBuilder("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"></head><body>");
        foreach (var paragraph in text.Split('\n'))
        {
            html.Append("<p>").Append(WebUtility.HtmlEncode(paragraph)).Append("</p>");
        }
        html.Append("<ul>");
        foreach (var item in items)
        {
            html.Append("<li>");
            html.Append(item.Link is { } link
                ? $"<a href=\"{WebUtility.HtmlEncode(link)}\">{WebUtility.HtmlEncode(item.Title)}</a>"
                : WebUtility.HtmlEncode(item.Title));
            if (item.Detail is { } detail)
            {
                html.Append(": ").Append(WebUtility.HtmlEncode(detail));
            }
            html.Append("</li>");
        }
        html.Append("</ul></body></html>");
        return new OutgoingMessage(messageId, kind, audience, subject, html.ToString(), text, items);
    }

    private static string Hours(TimeSpan span) => span.TotalHours >= 1
        ? $"{span.TotalHours.ToString("0.#", CultureInfo.InvariantCulture)} h"
        : $"{span.TotalMinutes.ToString("0", CultureInfo.InvariantCulture)} min";

    private static string Stamp(DateTimeOffset at) => at.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
}
