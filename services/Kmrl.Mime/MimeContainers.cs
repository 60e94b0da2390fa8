using MimeKit;
using MimeKit.Cryptography;
using MimeKit.Tnef;

namespace Kmrl.Mime;

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

    public static bool IsTnef(ContentType type, string? fileName) =>
        type.IsMimeType("application", "ms-tnef") || type.IsMimeType("application", "vnd.ms-tnef")
        || string.Equals(fileName, "winmail.dat", StringComparison.OrdinalIgnoreCase);

    public static bool IsOpaqueSecureMime(ContentType type) =>
        type.IsMimeType("application", "pkcs7-mime") || type.IsMimeType("application", "x-pkcs7-mime");

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

    private static TnefPart TnefFrom(byte[] content) => new() { Content = new MimeContent(new MemoryStream(content, writable: false)) };

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
