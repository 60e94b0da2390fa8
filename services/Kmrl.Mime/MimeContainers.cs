using MimeKit;
using MimeKit.Cryptography;
using MimeKit.Tnef;

namespace Kmrl.Mime;

/// <summary>What a MIME part is to <see cref="MimeContainers"/>: see <see cref="MimeContainers.Classify"/>.</summary>
public enum MimeContainerKind
{
    /// <summary>Neither a container nor a signature: a document or a body, as its disposition says.</summary>
    None,
    /// <summary>A detached signature or key: part of the signing, never a document nor a container.</summary>
    Signature,
    /// <summary>Outlook's TNEF (winmail.dat): the documents are attachments inside it.</summary>
    Tnef,
    /// <summary>Opaque S/MIME (application/pkcs7-mime, smime.p7m): the signed or compressed content holds the documents.</summary>
    SecureMime,
}

/// <summary>A document found inside a container part, decoded.</summary>
public sealed record ContainedDocument(string FileName, string ContentType, byte[] Content);

/// <summary>
/// Opens the parts that hide documents from a BODYSTRUCTURE walk, with MimeKit's own readers: Outlook's TNEF
/// (winmail.dat, <see cref="TnefPart.ExtractAttachments"/>) and opaque S/MIME (application/pkcs7-mime): signed-data
/// is unwrapped (<see cref="ApplicationPkcs7Mime.Verify(SecureMimeContext, out MimeEntity, CancellationToken)"/>
/// with a throwaway certificate store: the content is wanted, not a trust decision), compressed-data decompressed,
/// and enveloped-data (encrypted to a recipient's key, which we do not hold) named as unreadable. Shared by the
/// e-mail connector (parts found on the IMAP server) and document-api (an uploaded .eml), so both read the same.
/// </summary>
public static class MimeContainers
{
    public const string EncryptedSmime = "encrypted-smime";
    public const string UnreadableSmime = "unreadable-smime";
    public const string UnreadableTnef = "unreadable-tnef";

    private const int MaxDepth = 4;

    private static readonly HashSet<string> Signatures = new(StringComparer.OrdinalIgnoreCase)
    {
        "application/pkcs7-signature", "application/x-pkcs7-signature", "application/pgp-signature", "application/pgp-keys",
    };

    /// <summary>
    /// What a part is to the container readers, decided by its content type first: a signature or key type is the
    /// signing whatever its name, a TNEF or PKCS#7 type is that container. Only a part whose type says nothing
    /// (application/octet-stream, or a type without a subtype) is judged by its conventional name, winmail.dat or
    /// *.p7m (RFC 8551 3.2.1 has some agents send smime.p7m as application/octet-stream). So a signature part that a
    /// client named winmail.dat or smime.p7m is never handed to the TNEF or CMS reader.
    /// </summary>
    public static MimeContainerKind Classify(ContentType type, string? fileName)
    {
        if (IsSignature(type)) return MimeContainerKind.Signature;
        if (type.IsMimeType("application", "ms-tnef") || type.IsMimeType("application", "vnd.ms-tnef")) return MimeContainerKind.Tnef;
        if (type.IsMimeType("application", "pkcs7-mime") || type.IsMimeType("application", "x-pkcs7-mime")) return MimeContainerKind.SecureMime;
        if (!type.IsMimeType("application", "octet-stream") && !string.IsNullOrEmpty(type.MediaSubtype)) return MimeContainerKind.None;
        var name = Path.GetFileName(fileName?.Replace('\\', '/').Trim() ?? string.Empty);
        if (string.Equals(name, "winmail.dat", StringComparison.OrdinalIgnoreCase)) return MimeContainerKind.Tnef;
        if (name.EndsWith(".p7m", StringComparison.OrdinalIgnoreCase)) return MimeContainerKind.SecureMime;
        return MimeContainerKind.None;
    }

    /// <summary>A detached signature or key (smime.p7s, a PGP signature): part of the signing, no document.</summary>
    public static bool IsSignature(ContentType type) => Signatures.Contains(type.MimeType);

    /// <summary>
    /// The content an opaque S/MIME entity wraps (signed-data unwrapped, compressed-data decompressed), or the reason
    /// it cannot be had (<c>encrypted-smime: …</c>, <c>unreadable-smime: …</c>).
    /// </summary>
    public static (MimeEntity? Inner, string? Unreadable) Unwrap(ApplicationPkcs7Mime entity)
    {
        try
        {
            using var memory = new MemoryStream();
            entity.Content?.DecodeTo(memory);
            return UnwrapSecureMime(entity.ContentType, memory.ToArray());
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidOperationException or NotSupportedException
            or Org.BouncyCastle.Cms.CmsException or System.Security.Cryptography.CryptographicException or IOException)
        {
            return (null, $"{UnreadableSmime}: {ex.Message}");
        }
    }

    /// <summary>The documents inside, or the reason there are none to be had (<c>encrypted-smime: …</c>).</summary>
    public static (IReadOnlyList<ContainedDocument> Documents, string? Unreadable) Open(bool tnef, ContentType type, byte[] content)
    {
        var found = new List<ContainedDocument>();
        try
        {
            var reason = tnef ? Walk(TnefFrom(content), found, 0) : OpenSecureMime(type, content, found, 0);
            return (found, reason);
        }
        catch (Exception ex) when (ex is TnefException or FormatException or ArgumentException or InvalidOperationException or NotSupportedException
            or Org.BouncyCastle.Cms.CmsException or System.Security.Cryptography.CryptographicException or IOException)
        {
            return ([], $"{(tnef ? UnreadableTnef : UnreadableSmime)}: {ex.Message}");
        }
    }

    private static TnefPart TnefFrom(byte[] content) =>
        HasTnefSignature(content)
            ? new() { Content = new MimeContent(new MemoryStream(content, writable: false)) }
            // MimeKit reads TNEF leniently: content without the signature gives no attachments and no error, so a
            // broken winmail.dat would vanish with its documents instead of being named.
            : throw new TnefException(TnefComplianceStatus.InvalidTnefSignature, "not a TNEF stream (no TNEF signature)");

    /// <summary>TNEF starts with the signature 0x223E9F78, little-endian (MS-OXTNEF 2.1.3.1).</summary>
    private static bool HasTnefSignature(byte[] content) =>
        content.Length >= 4 && System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(content) == 0x223E9F78;

    /// <summary>
    /// The attachments inside a TNEF part (one typed application/ms-tnef, or an application/octet-stream winmail.dat),
    /// or the reason there are none to be had (<c>unreadable-tnef: …</c>), for a reader holding a parsed message.
    /// </summary>
    public static (IReadOnlyList<MimeEntity> Attachments, string? Unreadable) TnefAttachments(MimePart part)
    {
        try
        {
            using var memory = new MemoryStream();
            part.Content?.DecodeTo(memory);
            return (TnefFrom(memory.ToArray()).ExtractAttachments().ToList(), null);
        }
        catch (Exception ex) when (ex is TnefException or FormatException or ArgumentException or InvalidOperationException or NotSupportedException or IOException)
        {
            return ([], $"{UnreadableTnef}: {ex.Message}");
        }
    }

    private static string? OpenSecureMime(ContentType type, byte[] content, List<ContainedDocument> found, int depth)
    {
        var (inner, unreadable) = UnwrapSecureMime(type, content);
        return inner is null ? unreadable : Walk(inner, found, depth + 1);
    }

    private static (MimeEntity? Inner, string? Unreadable) UnwrapSecureMime(ContentType type, byte[] content)
    {
        var smimeType = type.Parameters["smime-type"]?.Trim().ToLowerInvariant();
        if (smimeType is "enveloped-data" or "authenveloped-data")
        {
            return (null, $"{EncryptedSmime}: the message is encrypted (S/MIME {smimeType}) to a recipient key we do not hold; its documents cannot be read.");
        }
        var pkcs7 = new ApplicationPkcs7Mime(smimeType == "compressed-data" ? SecureMimeType.CompressedData : SecureMimeType.SignedData,
            new MemoryStream(content, writable: false));
        using var context = new TemporarySecureMimeContext();
        MimeEntity inner;
        if (smimeType == "compressed-data")
        {
            inner = pkcs7.Decompress(context);
        }
        else
        {
            pkcs7.Verify(context, out inner);
        }
        return (inner, null);
    }

    private static string? Walk(MimeEntity entity, List<ContainedDocument> found, int depth)
    {
        if (depth > MaxDepth) return null;
        switch (entity)
        {
            case Multipart multipart:
                foreach (var child in multipart)
                {
                    if (Walk(child, found, depth) is { } reason) return reason;
                }
                return null;
            case MessagePart { Message.Body: { } body }:
                return Walk(body, found, depth + 1);
            case TnefPart tnef:
                foreach (var attachment in tnef.ExtractAttachments())
                {
                    if (Walk(attachment, found, depth + 1) is { } reason) return reason;
                }
                return null;
            case ApplicationPkcs7Mime nested:
                using (var memory = new MemoryStream())
                {
                    nested.Content?.DecodeTo(memory);
                    return OpenSecureMime(nested.ContentType, memory.ToArray(), found, depth);
                }
            case MimePart part when !Signatures.Contains(part.ContentType.MimeType) && (part.IsAttachment || !string.IsNullOrWhiteSpace(part.FileName)):
                using (var memory = new MemoryStream())
                {
                    part.Content?.DecodeTo(memory);
                    var name = Path.GetFileName(part.FileName?.Replace('\\', '/').Trim() ?? string.Empty);
                    found.Add(new ContainedDocument(name.Length > 0 ? name : $"attachment-{found.Count + 1}.bin", part.ContentType.MimeType, memory.ToArray()));
                }
                return null;
            default:
                return null;
        }
    }
}
