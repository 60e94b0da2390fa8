using System.IO.Compression;
using System.Text;
using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Model;

namespace Kmrl.DocumentApi.Processing;

/// <summary>
/// Finds what a file really is from its bytes, and whether it is safe to open: encrypted PDFs (the validate activity
/// then lets through those that need no user password), password-protected Office files (an OLE container holding
/// EncryptedPackage), zip bombs and too deeply nested OOXML are refused with a named reason.
/// </summary>
public sealed class ContentSniffer(DocumentProcessingOptions options)
{
    private static readonly byte[] PdfMagic = "%PDF-"u8.ToArray();
    private static readonly byte[] ZipMagic = [0x50, 0x4B, 0x03, 0x04];
    private static readonly byte[] OleMagic = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    private static readonly byte[] PngMagic = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
    private static readonly byte[] JpegMagic = [0xFF, 0xD8, 0xFF];
    private static readonly byte[] TiffLittle = [0x49, 0x49, 0x2A, 0x00];
    private static readonly byte[] TiffBig = [0x4D, 0x4D, 0x00, 0x2A];
    private static readonly byte[] RtfMagic = "{\\rtf"u8.ToArray();
    private static readonly byte[] Utf16LittleBom = [0xFF, 0xFE];
    private static readonly byte[] Utf16BigBom = [0xFE, 0xFF];
    private static readonly byte[] Utf8Bom = [0xEF, 0xBB, 0xBF];
    private static readonly byte[] EncryptToken = "/Encrypt"u8.ToArray();
    // Stream names inside an OLE container are UTF-16LE; Office puts encrypted OOXML in "EncryptedPackage".
    private static readonly byte[] EncryptedPackageName = Encoding.Unicode.GetBytes("EncryptedPackage");
    // An encrypted PowerPoint 97 file keeps its summary in "EncryptedSummary".
    private static readonly byte[] EncryptedSummaryName = Encoding.Unicode.GetBytes("EncryptedSummary");
    private static readonly byte[] MapiPropertyName = Encoding.Unicode.GetBytes("__substg1.0_");

    /// <summary>OpenDocument packages name their type in a first, stored entry called <c>mimetype</c>.</summary>
    private static readonly Dictionary<string, DocumentKind> OpenDocumentTypes = new(StringComparer.Ordinal)
    {
        ["application/vnd.oasis.opendocument.text"] = DocumentKind.Odt,
        ["application/vnd.oasis.opendocument.spreadsheet"] = DocumentKind.Ods,
        ["application/vnd.oasis.opendocument.presentation"] = DocumentKind.Odp,
    };

    private static readonly string[] MailHeaders =
        ["from:", "to:", "subject:", "date:", "received:", "return-path:", "message-id:", "mime-version:", "delivered-to:", "reply-to:"];

    public ValidationResult Validate(Stream content, string declaredContentType, string fileName)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (!content.CanSeek)
        {
            throw new ArgumentException("The sniffer needs a seekable stream.", nameof(content));
        }
        if (content.Length == 0)
        {
            return ValidationResult.Reject(DocumentKind.Unknown, RejectionReasons.EmptyFile, "The file has no bytes.");
        }

        var head = new byte[Math.Min(8192, content.Length)];
        content.Position = 0;
        content.ReadExactly(head);

        var kind = SniffHead(head);
        var unsafeReason = kind switch
        {
            DocumentKind.Pdf => CheckPdf(content),
            DocumentKind.Unknown when head.AsSpan().StartsWith(ZipMagic) => CheckZip(content, out kind),
            DocumentKind.LegacyOffice => CheckOle(content, out kind),
            _ => null,
        };
        if (unsafeReason is not null)
        {
            return ValidationResult.Reject(kind, unsafeReason.Value.Reason, unsafeReason.Value.Detail);
        }
        var expected = ExpectedKinds(declaredContentType, fileName);
        if (kind == DocumentKind.Unknown)
        {
            // An executable or noise under a declared type is that type's impostor; only an undeclared one is merely unsupported.
            return expected.Count > 0
                ? ValidationResult.Reject(kind, RejectionReasons.TypeMismatch,
                    $"Declared as {declaredContentType} ({Path.GetExtension(fileName)}) but the content matches no supported type.")
                : ValidationResult.Reject(kind, RejectionReasons.UnsupportedType, "The content matches no supported type.");
        }

        if (expected.Count > 0 && !expected.Contains(kind))
        {
            return ValidationResult.Reject(kind, RejectionReasons.TypeMismatch,
                $"Declared as {declaredContentType} ({Path.GetExtension(fileName)}) but the content is {kind}.");
        }
        return ValidationResult.Accept(kind);
    }

    public static DocumentKind SniffHead(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith(OleMagic)) return DocumentKind.LegacyOffice;
        if (head.StartsWith(PngMagic)) return DocumentKind.Png;
        if (head.StartsWith(JpegMagic)) return DocumentKind.Jpeg;
        if (head.StartsWith(TiffLittle) || head.StartsWith(TiffBig)) return DocumentKind.Tiff;
        // Some writers put a few bytes of junk before the header; readers accept it within the first KB.
        if (head[..Math.Min(head.Length, 1024)].IndexOf(PdfMagic) >= 0) return DocumentKind.Pdf;
        if (head.StartsWith(ZipMagic)) return DocumentKind.Unknown; // decided by CheckZip from the entries
        var body = head.StartsWith(Utf8Bom) ? head[Utf8Bom.Length..] : head;
        if (body.StartsWith(RtfMagic)) return DocumentKind.Rtf;
        if (head.StartsWith(Utf16LittleBom) || head.StartsWith(Utf16BigBom))
        {
            return LooksLikeUtf16Text(head) ? DocumentKind.Text : DocumentKind.Unknown;
        }
        // Mail before text: an 8-bit header or an ISO-2022-JP body (escape sequences) is no reason to refuse a message.
        if (MailHeaderBlock.LooksLikeMail(body, truncated: head.Length == 8192)) return DocumentKind.Email;
        return LooksLikeText(head) ? DocumentKind.Text : DocumentKind.Unknown;
    }

    /// <summary>Kinds the declared content type or the file extension allow; empty when they say nothing.</summary>
    public static IReadOnlySet<DocumentKind> ExpectedKinds(string declaredContentType, string fileName)
    {
        var byType = KindsForContentType(declaredContentType);
        return byType.Count > 0 ? byType : KindsForExtension(Path.GetExtension(fileName));
    }

    private static HashSet<DocumentKind> KindsForContentType(string? contentType)
    {
        var type = (contentType ?? string.Empty).Split(';')[0].Trim().ToLowerInvariant();
        return type switch
        {
            "application/pdf" => [DocumentKind.Pdf],
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => [DocumentKind.Docx],
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => [DocumentKind.Xlsx],
            "application/vnd.openxmlformats-officedocument.presentationml.presentation" => [DocumentKind.Pptx],
            "application/msword" or "application/vnd.ms-excel" or "application/vnd.ms-powerpoint" => [DocumentKind.LegacyOffice],
            "image/png" => [DocumentKind.Png],
            "image/jpeg" or "image/jpg" => [DocumentKind.Jpeg],
            "image/tiff" => [DocumentKind.Tiff],
            "message/rfc822" => [DocumentKind.Email, DocumentKind.Text],
            "application/vnd.ms-outlook" => [DocumentKind.OutlookMessage],
            "application/rtf" or "text/rtf" => [DocumentKind.Rtf],
            "application/vnd.oasis.opendocument.text" => [DocumentKind.Odt],
            "application/vnd.oasis.opendocument.spreadsheet" => [DocumentKind.Ods],
            "application/vnd.oasis.opendocument.presentation" => [DocumentKind.Odp],
            // A .csv or .txt may well look like mail headers; plain text accepts both.
            "text/plain" or "text/csv" => [DocumentKind.Text, DocumentKind.Email],
            _ => [],
        };
    }

    private static HashSet<DocumentKind> KindsForExtension(string? extension) => (extension ?? string.Empty).ToLowerInvariant() switch
    {
        ".pdf" => [DocumentKind.Pdf],
        ".docx" => [DocumentKind.Docx],
        ".xlsx" => [DocumentKind.Xlsx],
        ".pptx" => [DocumentKind.Pptx],
        ".doc" or ".xls" or ".ppt" => [DocumentKind.LegacyOffice],
        ".png" => [DocumentKind.Png],
        ".jpg" or ".jpeg" => [DocumentKind.Jpeg],
        ".tif" or ".tiff" => [DocumentKind.Tiff],
        ".eml" => [DocumentKind.Email, DocumentKind.Text],
        ".msg" => [DocumentKind.OutlookMessage],
        ".rtf" => [DocumentKind.Rtf],
        ".odt" => [DocumentKind.Odt],
        ".ods" => [DocumentKind.Ods],
        ".odp" => [DocumentKind.Odp],
        ".txt" or ".csv" => [DocumentKind.Text, DocumentKind.Email],
        _ => [],
    };

    private static bool LooksLikeText(ReadOnlySpan<byte> head)
    {
        if (head.IndexOf((byte)0) >= 0) return false;
        // Cut at most 3 bytes so a multi-byte character split by the 8 KB window is not held against the file.
        var decoder = new UTF8Encoding(false, true);
        for (var trim = 0; trim <= Math.Min(3, head.Length - 1); trim++)
        {
            try
            {
                var text = decoder.GetString(head[..(head.Length - trim)]);
                var control = text.Count(c => char.IsControl(c) && c is not ('\r' or '\n' or '\t' or '\f'));
                return control <= text.Length / 100;
            }
            catch (DecoderFallbackException)
            {
            }
        }
        return false;
    }

    private static bool LooksLikeUtf16Text(ReadOnlySpan<byte> head)
    {
        var encoding = head[0] == 0xFF ? Encoding.Unicode : Encoding.BigEndianUnicode;
        var text = encoding.GetString(head[2..(head.Length & ~1)]);
        var control = text.Count(c => char.IsControl(c) && c is not ('\r' or '\n' or '\t' or '\f'));
        return text.Length > 0 && control <= text.Length / 100;
    }

    private static (string Reason, string Detail)? CheckPdf(Stream content) =>
        Contains(content, EncryptToken)
            ? (RejectionReasons.EncryptedPdf, "The PDF has an /Encrypt dictionary (password or permissions encryption).")
            : null;

    /// <summary>
    /// An OLE container is Word/Excel/PowerPoint 97, an Outlook message, or encrypted OOXML: its root directory says
    /// which. One whose directory cannot be walked is judged by the stream names found anywhere in it.
    /// </summary>
    private static (string Reason, string Detail)? CheckOle(Stream content, out DocumentKind kind)
    {
        var names = CompoundFile.RootNames(content);
        var encrypted = names?.Contains("EncryptedPackage") ?? Contains(content, EncryptedPackageName);
        kind = (names is not null ? CompoundFile.IsOutlookMessage(names) : Contains(content, MapiPropertyName))
            ? DocumentKind.OutlookMessage
            : DocumentKind.LegacyOffice;
        if (encrypted) return (RejectionReasons.PasswordProtectedOffice, "The Office file is password protected (an OLE container with EncryptedPackage).");
        var protectedLegacy = names is not null ? CompoundFile.IsPasswordProtected(content, names) : Contains(content, EncryptedSummaryName);
        return kind == DocumentKind.LegacyOffice && protectedLegacy
            ? (RejectionReasons.PasswordProtectedOffice, "The Word/Excel/PowerPoint 97 file is password protected (RC4 or XOR encryption).")
            : null;
    }

    private (string Reason, string Detail)? CheckZip(Stream content, out DocumentKind kind)
    {
        kind = DocumentKind.Unknown;
        try
        {
            content.Position = 0;
            using var zip = new ZipArchive(content, ZipArchiveMode.Read, leaveOpen: true);
            if (zip.Entries.Count > options.MaxZipEntries)
            {
                return (RejectionReasons.ZipBomb, $"The archive has {zip.Entries.Count} entries (cap {options.MaxZipEntries}).");
            }
            var names = zip.Entries.Select(e => e.FullName).ToHashSet(StringComparer.OrdinalIgnoreCase);
            kind = names.Contains("word/document.xml") ? DocumentKind.Docx
                : names.Contains("xl/workbook.xml") ? DocumentKind.Xlsx
                : names.Contains("ppt/presentation.xml") ? DocumentKind.Pptx
                : OpenDocumentKind(zip);
            if (kind == DocumentKind.Unknown)
            {
                return null; // a plain zip is not a supported document: unsupported-type, or type-mismatch when declared as one
            }
            if ((kind is DocumentKind.Docx or DocumentKind.Xlsx or DocumentKind.Pptx) && !names.Contains("[Content_Types].xml"))
            {
                // Every OOXML reader starts from [Content_Types].xml: without it the package is damaged, not another type.
                return (RejectionReasons.CorruptOoxml, $"The {kind} package has no [Content_Types].xml.");
            }
            return MeasureExpansion(zip, content.Length) ?? MeasureNesting(zip);
        }
        catch (InvalidDataException ex)
        {
            return (RejectionReasons.CorruptArchive, ex.Message);
        }
    }

    private static DocumentKind OpenDocumentKind(ZipArchive zip)
    {
        if (zip.GetEntry("mimetype") is not { Length: > 0 and < 200 } entry) return DocumentKind.Unknown;
        using var reader = new StreamReader(entry.Open(), Encoding.ASCII);
        return OpenDocumentTypes.GetValueOrDefault(reader.ReadToEnd().Trim(), DocumentKind.Unknown);
    }

    /// <summary>
    /// Inflates every entry and counts the bytes, stopping at the caps: the sizes in the central directory are
    /// written by whoever made the file and cannot be trusted.
    /// </summary>
    private (string Reason, string Detail)? MeasureExpansion(ZipArchive zip, long archiveBytes)
    {
        var cap = Math.Min(options.MaxExpandedBytes, (long)Math.Min(long.MaxValue / 2, archiveBytes * options.MaxCompressionRatio));
        var buffer = new byte[81920];
        long total = 0;
        foreach (var entry in zip.Entries)
        {
            using var stream = entry.Open();
            int read;
            while ((read = stream.Read(buffer)) > 0)
            {
                total += read;
                if (total > cap)
                {
                    return (RejectionReasons.ZipBomb,
                        $"Expanded content passes {cap} bytes from a {archiveBytes}-byte archive (ratio cap {options.MaxCompressionRatio}, size cap {options.MaxExpandedBytes}).");
                }
            }
        }
        return null;
    }

    /// <summary>
    /// Streams every XML part once more (after the expansion caps, so the cost is bounded) and refuses the package
    /// when an element nests deeper than the cap, before any recursive parser sees it.
    /// </summary>
    private (string Reason, string Detail)? MeasureNesting(ZipArchive zip)
    {
        foreach (var entry in zip.Entries.Where(e => XmlNesting.IsXmlPart(e.FullName)))
        {
            using var stream = entry.Open();
            if (XmlNesting.Exceeds(stream, options.MaxXmlDepth))
            {
                return (RejectionReasons.TooDeeplyNested, $"An element of {entry.FullName} nests deeper than {options.MaxXmlDepth} levels.");
            }
        }
        return null;
    }

    private static bool Contains(Stream content, byte[] token)
    {
        content.Position = 0;
        var buffer = new byte[1 << 16];
        var carry = 0;
        int read;
        while ((read = content.Read(buffer, carry, buffer.Length - carry)) > 0)
        {
            var span = buffer.AsSpan(0, carry + read);
            if (span.IndexOf(token) >= 0) return true;
            // Keep the tail so a token split across two reads is still found.
            carry = Math.Min(token.Length - 1, span.Length);
            span[^carry..].CopyTo(buffer);
        }
        return false;
    }
}
