using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;

using Kmrl.Connectors.Email.Options;
using Kmrl.Mime;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using Microsoft.Extensions.Logging;
using MimeKit;
using MimeKit.IO;
using MimeKit.IO.Filters;
using MimeKit.Utils;

namespace Kmrl.Connectors.Email.Imap;

/// <summary>
/// One mailbox folder as a document source. New mail is "UID greater than the checkpoint's last UID under the same
/// UIDVALIDITY"; structure and envelope are fetched first and only document parts are downloaded, streamed and
/// decoded. A checkpoint follows every message; its after-commit step moves or flags the message. The authenticated
/// connection is kept from poll to poll (<see cref="ImapFolderConnection"/>), so a poll without new mail is a NOOP and
/// one UID SEARCH.
/// </summary>
public sealed partial class ImapFolderSource(
    MailboxOptions mailbox,
    string folder,
    EmailConnectorOptions options,
    ImapConnector connector,
    ILogger<ImapFolderSource> logger) : IDocumentSource, IAsyncDisposable, IDisposable
{
    private const MessageSummaryItems SummaryItems = MessageSummaryItems.UniqueId | MessageSummaryItems.BodyStructure |
        MessageSummaryItems.Envelope | MessageSummaryItems.Size | MessageSummaryItems.InternalDate;

    private readonly SenderFilter _senders = new(mailbox.AllowedSenders, mailbox.DeniedSenders);
    private readonly ImapFolderConnection _connection = new(connector, mailbox, folder,
        mailbox.PostProcessing == PostProcessing.Leave ? FolderAccess.ReadOnly : FolderAccess.ReadWrite, logger);

    public string Name => SourceName(mailbox.Name, folder);

    public static string SourceName(string mailboxName, string folderName) => $"{mailboxName}/{folderName}";

    public async IAsyncEnumerable<SourceChange> ReadChangesAsync(string? checkpoint, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var previous = Checkpoints.Read<ImapCheckpoint>(checkpoint, logger);

        var session = new ImapFolderSession(_connection);
        var opened = await session.OpenAsync(cancellationToken);
        var uidValidity = session.UidValidity;
        uint lastUid = 0;
        if (previous is not null && previous.UidValidity == uidValidity)
        {
            lastUid = previous.LastUid;
        }
        else if (previous is not null)
        {
            // The UIDs we stored now name other messages (or none): read everything again; downstream
            // idempotency (stable SourceIds + content hash) drops what was already published.
            LogUidValidityChanged(logger, Name, previous.UidValidity, uidValidity);
        }

        IReadOnlyList<UniqueId> newUids = opened.Count == 0
            ? []
            : await session.RunAsync((_, imapFolder, token) => SearchNewAsync(imapFolder, uidValidity, lastUid, token), cancellationToken);
        if (newUids.Count == 0)
        {
            if (previous != new ImapCheckpoint(uidValidity, lastUid))
            {
                yield return Checkpoints.Of(new ImapCheckpoint(uidValidity, lastUid));
            }
            yield break;
        }

        LogNewMessages(logger, Name, newUids.Count, lastUid);
        foreach (var batch in newUids.Chunk(options.SummaryBatchSize))
        {
            var fetched = await FetchSummariesAsync(session, batch, cancellationToken);
            foreach (var item in fetched.OrderBy(item => item.Uid.Id))
            {
                if (item.Summary is { } summary)
                {
                    await foreach (var change in DescribeAsync(summary, uidValidity, session, cancellationToken))
                    {
                        yield return change;
                    }
                }
                else if (item.Failure is { } failure)
                {
                    LogPoisonMessage(logger, Name, item.Uid.Id, options.PoisonMessageAttempts, failure);
                    yield return new SourceUnreadable(
                        SourceId: $"unreadable/{uidValidity}/{item.Uid.Id}",
                        Reason: failure,
                        Attempts: options.PoisonMessageAttempts,
                        Metadata: new Dictionary<string, string>
                        {
                            [EmailMetadataKeys.Mailbox] = mailbox.Name,
                            [EmailMetadataKeys.Folder] = folder,
                            [EmailMetadataKeys.UidValidity] = uidValidity.ToString(CultureInfo.InvariantCulture),
                            [EmailMetadataKeys.Uid] = item.Uid.Id.ToString(CultureInfo.InvariantCulture),
                        });
                    // Past it: the message stays where it is (not moved or flagged), the folder goes on.
                    yield return Checkpoints.Of(new ImapCheckpoint(uidValidity, item.Uid.Id));
                }
            }
        }
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();

    public void Dispose() => _connection.Dispose();

    private sealed record FetchedSummary(UniqueId Uid, IMessageSummary? Summary, string? Failure);

    /// <summary>
    /// The batch's structure and envelope in one FETCH. When the client refuses the answer (MailKit will not parse
    /// some responses, e.g. a Subject literal over 4 KiB), the whole batch fails the same way on every retry, so
    /// the messages are asked for one at a time to find the one that cannot be read.
    /// </summary>
    private async Task<List<FetchedSummary>> FetchSummariesAsync(ImapFolderSession session, UniqueId[] batch, CancellationToken cancellationToken)
    {
        try
        {
            var summaries = await session.RunAsync((_, imapFolder, token) => imapFolder.FetchAsync(batch, SummaryItems, token), cancellationToken);
            return summaries.Select(summary => new FetchedSummary(summary.UniqueId, summary, null)).ToList();
        }
        catch (SourceTransientException exception) when (exception.InnerException is ImapProtocolException)
        {
            LogBatchRefused(logger, Name, batch.Length, exception.InnerException.Message);
        }
        var fetched = new List<FetchedSummary>(batch.Length);
        foreach (var uid in batch)
        {
            fetched.Add(await FetchOneAsync(session, uid, cancellationToken));
        }
        return fetched;
    }

    private async Task<FetchedSummary> FetchOneAsync(ImapFolderSession session, UniqueId uid, CancellationToken cancellationToken)
    {
        ImapProtocolException? refusal = null;
        for (var attempt = 1; attempt <= options.PoisonMessageAttempts; attempt++)
        {
            try
            {
                var one = await session.RunAsync((_, imapFolder, token) => imapFolder.FetchAsync([uid], SummaryItems, token), cancellationToken);
                // Expunged since the search: nothing to read and nothing to report.
                return new FetchedSummary(uid, one.Count > 0 ? one[0] : null, null);
            }
            catch (SourceTransientException exception) when (exception.InnerException is ImapProtocolException protocol)
            {
                refusal = protocol;
            }
        }
        // Refused every time. A dropped connection fails this too and goes to the host as transient (checkpoint held);
        // only when the server still answers for this UID is the message itself the problem.
        await session.RunAsync((_, imapFolder, token) => imapFolder.FetchAsync([uid], MessageSummaryItems.UniqueId | MessageSummaryItems.Size, token), cancellationToken);
        return new FetchedSummary(uid, null, $"unreadable-message: the IMAP client refused the message's structure or envelope {options.PoisonMessageAttempts} times: {refusal!.Message}");
    }

    /// <summary>UID SEARCH last+1:* — and drop what is not above last: "*" is the highest UID even when that is below last+1.</summary>
    private static async Task<IReadOnlyList<UniqueId>> SearchNewAsync(IMailFolder imapFolder, uint uidValidity, uint lastUid, CancellationToken cancellationToken)
    {
        var range = new UniqueIdRange(new UniqueId(uidValidity, lastUid + 1), UniqueId.MaxValue);
        var found = await imapFolder.SearchAsync(SearchQuery.Uids(range), cancellationToken);
        return found.Where(uid => uid.Id > lastUid).OrderBy(uid => uid.Id).ToList();
    }

    private async IAsyncEnumerable<SourceChange> DescribeAsync(IMessageSummary summary, uint uidValidity, ImapFolderSession session,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var uid = summary.UniqueId;
        var envelope = summary.Envelope ?? new Envelope();
        IReadOnlyList<DocumentPart> parts;
        if (!_senders.Accepts(envelope.From.Mailboxes))
        {
            LogSenderSkipped(logger, Name, uid.Id);
            parts = [];
        }
        else
        {
            parts = await NameUnparsedPartsAsync(session, uid, DocumentPartFinder.Find(summary.Body), cancellationToken);
        }

        var messageKey = MessageKey(envelope, summary.Size);
        var common = MessageMetadata(summary, envelope, uidValidity);
        foreach (var part in parts)
        {
            var metadata = new Dictionary<string, string>(common)
            {
                [EmailMetadataKeys.Part] = part.Section,
                [EmailMetadataKeys.ContentTransferEncoding] = part.Part.ContentTransferEncoding ?? "7bit",
                [EmailMetadataKeys.EncodedSize] = part.Part.Octets.ToString(CultureInfo.InvariantCulture),
            };
            if (part.EnclosingMessage?.Envelope is { } forwarded)
            {
                metadata[EmailMetadataKeys.ForwardedFrom] = forwarded.From.ToString();
                metadata[EmailMetadataKeys.ForwardedSubject] = forwarded.Subject ?? string.Empty;
                metadata[EmailMetadataKeys.ForwardedMessageId] = forwarded.MessageId ?? string.Empty;
            }
            var encoding = TransferEncodingOf(part.Part);
            if (part.Kind is PartKind.Tnef or PartKind.SecureMime)
            {
                foreach (var change in await UnwrapAsync(session, uid, part, encoding, messageKey, metadata, cancellationToken))
                {
                    yield return change;
                }
                continue;
            }
            yield return new SourceDocument(
                // The host prefixes the source name ("mailbox/folder"); UID and UIDVALIDITY stay out so a rescan
                // after a UIDVALIDITY change yields the same ids (and idempotency keys) for the same mail.
                SourceId: $"{messageKey}/{part.Section}",
                FileName: part.FileName,
                DeclaredContentType: DeclaredTypeOf(part.Part),
                // Octets is the encoded size; it is the document's size only when nothing is encoded, or when it is 0
                // (nothing decodes to nothing), so the host refuses an empty attachment before reading it.
                Size: part.Part.Octets == 0 || encoding is ContentEncoding.Default or ContentEncoding.SevenBit or ContentEncoding.EightBit or ContentEncoding.Binary
                    ? part.Part.Octets
                    : null,
                Metadata: metadata,
                OpenContentAsync: _ => Task.FromResult(OpenPart(session, uid, part.Section, encoding)));
        }

        Func<CancellationToken, Task>? afterCommit = parts.Count > 0 && mailbox.PostProcessing != PostProcessing.Leave
            ? token => session.RunAsync((client, imapFolder, innerToken) => PostProcessor.ApplyAsync(client, imapFolder, uid, mailbox, logger, innerToken), token)
            : null;
        yield return Checkpoints.Of(new ImapCheckpoint(uidValidity, uid.Id), afterCommit);
    }

    /// <summary>
    /// Parts whose Content-Type the server could not parse (no subtype) lose their parameters in BODYSTRUCTURE: their
    /// MIME header is fetched (a few hundred bytes) and a name in it makes the part a document; unnamed, it is a body.
    /// </summary>
    private static async Task<IReadOnlyList<DocumentPart>> NameUnparsedPartsAsync(ImapFolderSession session, UniqueId uid, IReadOnlyList<DocumentPart> parts,
        CancellationToken cancellationToken)
    {
        if (parts.All(p => p.Kind != PartKind.UnparsedType)) return parts;
        var named = new List<DocumentPart>(parts.Count);
        foreach (var part in parts)
        {
            if (part.Kind != PartKind.UnparsedType)
            {
                named.Add(part);
                continue;
            }
            var headers = await session.RunAsync((_, imapFolder, token) => imapFolder.GetHeadersAsync(uid, part.Part, token), cancellationToken);
            if (NameFromHeaders(headers) is { } name)
            {
                named.Add(part with { FileName = name, Kind = PartKind.Document });
            }
        }
        return named;
    }

    /// <summary>The file name in a part's Content-Disposition or Content-Type parameters, read past a type without a subtype.</summary>
    internal static string? NameFromHeaders(HeaderList headers)
    {
        if (headers[HeaderId.ContentDisposition] is { } disposition && ContentDisposition.TryParse(disposition, out var parsed) && parsed.FileName is { Length: > 0 } fileName)
        {
            return Path.GetFileName(fileName.Replace('\\', '/'));
        }
        if (headers[HeaderId.ContentType] is not { } type) return null;
        // The parameters follow the broken type; read them as the parameters of a well-formed one.
        var parameters = type.IndexOf(';', StringComparison.Ordinal);
        return parameters >= 0 && ContentType.TryParse("application/octet-stream" + type[parameters..], out var repaired) && repaired.Name is { Length: > 0 } name
            ? Path.GetFileName(name.Replace('\\', '/'))
            : null;
    }

    /// <summary>Largest container part (winmail.dat, smime.p7m) read into memory to open it.</summary>
    private const int MaxContainerBytes = 64 * 1024 * 1024;

    /// <summary>
    /// Downloads a TNEF or opaque S/MIME part and yields the documents inside it (source id <c>&lt;key&gt;/&lt;section&gt;/tnef/n</c>
    /// or <c>…/smime/n</c>). One that cannot be opened (encrypted, damaged, too large) is yielded as unreadable with its
    /// reason, so the host records it instead of it vanishing.
    /// </summary>
    private async Task<IReadOnlyList<SourceChange>> UnwrapAsync(ImapFolderSession session, UniqueId uid, DocumentPart part, ContentEncoding encoding,
        string messageKey, Dictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        var container = part.Kind == PartKind.Tnef ? "tnef" : "smime";
        var sourceId = $"{messageKey}/{part.Section}";
        if (part.Part.Octets > MaxContainerBytes * 4L / 3 + 1024)
        {
            return [new SourceUnreadable(sourceId, $"container-too-large: the {container} part has {part.Part.Octets} encoded bytes (cap {MaxContainerBytes} decoded).", 1, metadata)];
        }
        byte[] content;
        await using (var stream = OpenPart(session, uid, part.Section, encoding))
        using (var memory = new MemoryStream())
        {
            await stream.CopyToAsync(memory, cancellationToken);
            content = memory.ToArray();
        }
        var (documents, unreadable) = MimeContainers.Open(part.Kind == PartKind.Tnef, part.Part.ContentType, content);
        if (unreadable is not null)
        {
            LogContainerUnreadable(logger, Name, uid.Id, part.Section, unreadable);
            return [new SourceUnreadable(sourceId, unreadable, 1, metadata)];
        }
        return documents.Select((document, index) => (SourceChange)new SourceDocument(
            SourceId: $"{sourceId}/{container}/{index + 1}",
            FileName: document.FileName,
            DeclaredContentType: document.ContentType,
            Size: document.Content.Length,
            Metadata: new Dictionary<string, string>(metadata) { [EmailMetadataKeys.Container] = container },
            OpenContentAsync: _ => Task.FromResult<Stream>(new MemoryStream(document.Content, writable: false)))).ToList();
    }

    private Stream OpenPart(ImapFolderSession session, UniqueId uid, string section, ContentEncoding encoding)
    {
        Stream raw = new ImapSectionStream(session, uid, section, options.FetchChunkSize);
        if (encoding is not (ContentEncoding.Base64 or ContentEncoding.QuotedPrintable or ContentEncoding.UUEncode))
        {
            return raw;
        }
        var decoded = new FilteredStream(raw);
        decoded.Add(DecoderFilter.Create(encoding));
        return decoded;
    }

    /// <summary>
    /// The part's content type, or application/octet-stream when it has no type or subtype (the server gives
    /// <c>application-x-gzip</c> as "/"): a type that says nothing, so the host judges the part by its name instead
    /// of refusing a type no allow list can hold, and the pipeline sniffs what it really is.
    /// </summary>
    internal static string DeclaredTypeOf(BodyPartBasic part) =>
        string.IsNullOrEmpty(part.ContentType.MediaType) || string.IsNullOrEmpty(part.ContentType.MediaSubtype)
            ? "application/octet-stream"
            : part.ContentType.MimeType;

    private static ContentEncoding TransferEncodingOf(BodyPartBasic part) =>
        part.ContentTransferEncoding is { } value && MimeUtils.TryParse(value, out ContentEncoding encoding)
            ? encoding
            : ContentEncoding.Default;

    private Dictionary<string, string> MessageMetadata(IMessageSummary summary, Envelope envelope, uint uidValidity)
    {
        var metadata = new Dictionary<string, string>
        {
            [EmailMetadataKeys.Mailbox] = mailbox.Name,
            [EmailMetadataKeys.Folder] = folder,
            [EmailMetadataKeys.UidValidity] = uidValidity.ToString(CultureInfo.InvariantCulture),
            [EmailMetadataKeys.Uid] = summary.UniqueId.Id.ToString(CultureInfo.InvariantCulture),
            [EmailMetadataKeys.From] = envelope.From.ToString(),
            [EmailMetadataKeys.To] = envelope.To.ToString(),
            [EmailMetadataKeys.Cc] = envelope.Cc.ToString(),
            [EmailMetadataKeys.Subject] = envelope.Subject ?? string.Empty,
        };
        if (envelope.Date is { } date)
        {
            metadata[EmailMetadataKeys.Date] = date.ToString("O", CultureInfo.InvariantCulture);
        }
        if (summary.InternalDate is { } internalDate)
        {
            metadata[EmailMetadataKeys.InternalDate] = internalDate.ToString("O", CultureInfo.InvariantCulture);
        }
        if (!string.IsNullOrEmpty(envelope.MessageId))
        {
            metadata[EmailMetadataKeys.MessageId] = envelope.MessageId;
        }
        if (!string.IsNullOrEmpty(envelope.InReplyTo))
        {
            metadata[EmailMetadataKeys.InReplyTo] = envelope.InReplyTo;
        }
        return metadata;
    }

    /// <summary>
    /// A message identity that survives a UIDVALIDITY change (the UID does not): the Message-ID, or, without one,
    /// the envelope and size. Hashed so the SourceId stays path-safe.
    /// </summary>
    private static string MessageKey(Envelope envelope, ulong? size)
    {
        var (prefix, material) = string.IsNullOrEmpty(envelope.MessageId)
            ? ("env-", $"{envelope.Date?.ToUniversalTime():O}|{envelope.From}|{envelope.To}|{envelope.Subject}|{size}")
            : ("mid-", envelope.MessageId);
        return prefix + Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(material)))[..32];
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Source {Source}: UIDVALIDITY changed from {Previous} to {Current}, rescanning the folder")]
    private static partial void LogUidValidityChanged(ILogger logger, string source, uint previous, uint current);

    [LoggerMessage(Level = LogLevel.Information, Message = "Source {Source}: {Count} new message(s) after UID {LastUid}")]
    private static partial void LogNewMessages(ILogger logger, string source, int count, uint lastUid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Source {Source}: the client refused the summaries of {Count} message(s) ({Error}); fetching them one at a time")]
    private static partial void LogBatchRefused(ILogger logger, string source, int count, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Source {Source}: message {Uid} cannot be read after {Attempts} attempts and is dead-lettered: {Reason}")]
    private static partial void LogPoisonMessage(ILogger logger, string source, uint uid, int attempts, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Source {Source}: message {Uid} part {Section} cannot be opened: {Reason}")]
    private static partial void LogContainerUnreadable(ILogger logger, string source, uint uid, string section, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Source {Source}: message {Uid} skipped, sender not allowed")]
    private static partial void LogSenderSkipped(ILogger logger, string source, uint uid);
}
