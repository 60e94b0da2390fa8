using Kmrl.Mime;
using MailKit;
using MimeKit;

namespace Kmrl.Connectors.Email.Imap;

/// <summary>What a found part is: a document, a container whose documents are inside it, or a part whose name only its own MIME header can tell.</summary>
public enum PartKind
{
    Document,
    /// <summary>Outlook's TNEF (winmail.dat): the documents are attachments inside it.</summary>
    Tnef,
    /// <summary>Opaque S/MIME (application/pkcs7-mime, smime.p7m): the signed or encrypted content holds the documents.</summary>
    SecureMime,
    /// <summary>
    /// A Content-Type without a subtype (<c>application-x-gzip; name=…</c>): the server cannot parse it and drops
    /// its parameters from BODYSTRUCTURE, so the name must be read from the part's MIME header.
    /// </summary>
    UnparsedType,
}

/// <summary>A document inside a message, located from its BODYSTRUCTURE without downloading anything.</summary>
/// <param name="Section">IMAP section to fetch (<c>BODY[section]</c>) for the part's encoded content.</param>
/// <param name="EnclosingMessage">The forwarded message the part sits in, when it is nested in message/rfc822.</param>
public sealed record DocumentPart(BodyPartBasic Part, string Section, string FileName, BodyPartMessage? EnclosingMessage, PartKind Kind = PartKind.Document);

/// <summary>
/// Walks a BODYSTRUCTURE for the parts that are documents: attachments, inline parts that carry a file name
/// (Outlook's named inline images), parts of forwarded message/rfc822 (recursed into, not taken whole) and
/// multipart/mixed nested inside multipart/alternative. Message bodies and signatures are not documents.
/// </summary>
public static class DocumentPartFinder
{

    public static IReadOnlyList<DocumentPart> Find(BodyPart? body)
    {
        var found = new List<DocumentPart>();
        Walk(body, section: null, enclosing: null, found);
        return found;
    }

    /// <param name="section">The part's IMAP section when it differs from MailKit's <c>PartSpecifier</c>.</param>
    private static void Walk(BodyPart? part, string? section, BodyPartMessage? enclosing, List<DocumentPart> found)
    {
        switch (part)
        {
            case null:
                return;
            case BodyPartMultipart multipart:
                foreach (var child in multipart.BodyParts)
                {
                    Walk(child, section: null, enclosing, found);
                }
                return;
            case BodyPartMessage message:
                // A forwarded mail: its attachments are the documents, not the .eml wrapper. RFC 3501 numbers a
                // non-multipart body of message/rfc822 part N as "N.1" (BODY[N] would be the whole embedded message,
                // headers included), while MailKit gives that body N's own specifier.
                var nestedSection = message.Body is BodyPartMultipart ? null : (section ?? SectionOf(message)) + ".1";
                Walk(message.Body, nestedSection, message, found);
                return;
            case BodyPartBasic basic:
                var at = section ?? SectionOf(basic);
                // The content type first (a signature named winmail.dat is still a signature), the name only for
                // application/octet-stream: the same decision document-api makes for an uploaded mail.
                var container = MimeContainers.Classify(basic.ContentType, basic.FileName);
                if (container == MimeContainerKind.Signature)
                {
                    return;
                }
                if (container == MimeContainerKind.SecureMime)
                {
                    found.Add(new DocumentPart(basic, at, FileNameOf(basic, at), enclosing, PartKind.SecureMime));
                }
                else if (container == MimeContainerKind.Tnef)
                {
                    found.Add(new DocumentPart(basic, at, FileNameOf(basic, at), enclosing, PartKind.Tnef));
                }
                else if (IsDocument(basic))
                {
                    found.Add(new DocumentPart(basic, at, FileNameOf(basic, at), enclosing));
                }
                else if (string.IsNullOrEmpty(basic.ContentType.MediaSubtype))
                {
                    found.Add(new DocumentPart(basic, at, FileNameOf(basic, at), enclosing, PartKind.UnparsedType));
                }
                return;
        }
    }

    private static bool IsDocument(BodyPartBasic part) => part.IsAttachment || !string.IsNullOrWhiteSpace(part.FileName);

    /// <summary>A single-part message has the empty specifier; RFC 3501 numbers its body "1".</summary>
    private static string SectionOf(BodyPartBasic part) =>
        string.IsNullOrEmpty(part.PartSpecifier) ? "1" : part.PartSpecifier;

    private static string FileNameOf(BodyPartBasic part, string section)
    {
        var name = part.FileName?.Trim();
        if (!string.IsNullOrEmpty(name))
        {
            // A name is a name, not a path: keep the last segment of "C:\scans\a.pdf" or "../a.pdf".
            var lastSeparator = name.LastIndexOfAny(['/', '\\']);
            name = (lastSeparator >= 0 ? name[(lastSeparator + 1)..] : name).Trim();
        }
        // "." and ".." name folders, not files (found by PartFinderFuzzTests: "scans/." was the name ".").
        if (string.IsNullOrEmpty(name) || name is "." or "..")
        {
            var extension = MimeTypes.TryGetExtension(part.ContentType.MimeType, out var known) ? known : ".bin";
            name = $"part-{section}{extension}";
        }
        return name;
    }
}
