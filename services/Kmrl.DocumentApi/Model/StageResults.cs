using Kmrl.Contracts;

namespace Kmrl.DocumentApi.Model;

/// <summary>The real type of the content, sniffed from its bytes.</summary>
public enum DocumentKind
{
    Unknown,
    Pdf,
    Docx,
    Xlsx,
    Pptx,
    LegacyOffice,
    Png,
    Jpeg,
    Tiff,
    Text,
    Email,
    /// <summary>Rich Text Format (<c>{\rtf</c>), read through LibreOffice.</summary>
    Rtf,
    /// <summary>OpenDocument text, spreadsheet and presentation (a zip whose first entry <c>mimetype</c> names it).</summary>
    Odt,
    Ods,
    Odp,
    /// <summary>An Outlook <c>.msg</c> (an OLE compound file holding MAPI property streams).</summary>
    OutlookMessage,
}

/// <summary>Named reasons a document is refused at validation.</summary>
public static class RejectionReasons
{
    public const string EmptyFile = "empty-file";
    public const string EncryptedPdf = "encrypted-pdf";
    public const string PasswordProtectedOffice = "password-protected-office";
    public const string ZipBomb = "zip-bomb";
    public const string CorruptArchive = "corrupt-archive";
    public const string TypeMismatch = "type-mismatch";
    public const string UnsupportedType = "unsupported-type";
    // Found while reading the text: deterministic, so rejected at once rather than retried.
    public const string CorruptPdf = "corrupt-pdf";
    public const string CorruptOoxml = "corrupt-ooxml";
    /// <summary>A legacy Office, OpenDocument or RTF file LibreOffice opens and cannot convert (or an unreadable .msg).</summary>
    public const string CorruptOffice = "corrupt-office";
    public const string UnreadableImage = "unreadable-image";
    /// <summary>A tool the document needs (poppler, qpdf, tesseract) is not installed; the detail names it.</summary>
    public const string ToolMissing = "tool-missing";
    /// <summary>An OOXML part whose elements nest deeper than the cap (a parser stack overflow in waiting).</summary>
    public const string TooDeeplyNested = "too-deeply-nested";
    /// <summary>An activity ran past its time budget (a runaway parse or OCR); the document is refused, not held.</summary>
    public const string TimeBudgetExceeded = "time-budget-exceeded";
    /// <summary>The isolated extraction worker ended without an answer (a crash, a signal); the service lives on.</summary>
    public const string ExtractorCrashed = "extractor-crashed";
    /// <summary>The extraction worker ran out of its memory limit.</summary>
    public const string MemoryLimit = "memory-limit";
    /// <summary>The extraction worker used up its CPU-seconds limit.</summary>
    public const string TimeLimit = "time-limit";
    /// <summary>An image or PDF page whose pixels at the OCR resolution would pass the pixel cap, refused before rendering.</summary>
    public const string ImageTooLarge = "image-too-large";
}

/// <summary>Stage names used in rejections and events.</summary>
public static class Stages
{
    public const string Validate = "validate";
    public const string Dedupe = "dedupe";
    public const string Extract = "extract";
    public const string Language = "language";
    public const string Classify = "classify";
    public const string Summarise = "summarise";
    public const string Catalog = "catalog";
}

public sealed record ValidationResult(bool Accepted, DocumentKind Kind, string? Reason, string? Detail)
{
    public static ValidationResult Accept(DocumentKind kind) => new(true, kind, null, null);

    public static ValidationResult Reject(DocumentKind kind, string reason, string detail) => new(false, kind, reason, detail);
}

public sealed record DedupeResult(bool IsDuplicate, string? ExistingDocumentId);

public enum ExtractionOutcome
{
    Extracted,
    /// <summary>No extractor for this type (legacy .doc/.xls/.ppt): recorded, not a failure.</summary>
    NoExtractor,
    /// <summary>The file cannot be read and trying again will not change that; the reason is named.</summary>
    Rejected,
}

public sealed record ExtractInput(DocumentIntake Intake, DocumentKind Kind);

public sealed record ExtractionResult(
    ExtractionOutcome Outcome,
    string Extractor,
    BlobReference? Text,
    int PageCount,
    IReadOnlyList<int> OcrPages,
    IReadOnlyDictionary<string, string> Properties,
    string? RejectionReason = null,
    string? RejectionDetail = null,
    IReadOnlyList<int>? FailedPages = null,
    IReadOnlyList<PageSource>? PageSources = null,
    IReadOnlyDictionary<string, string>? FormFields = null,
    IReadOnlyList<string>? ActiveContent = null,
    Processing.ArchiveCopy? Archive = null)
{
    public static ExtractionResult Reject(string reason, string detail) =>
        new(ExtractionOutcome.Rejected, "none", null, 0, [], new Dictionary<string, string>(), reason, detail);
}

/// <summary>How one page's text was obtained (<c>Processing.PageSources</c>: text, ocr, text+ocr, failed) and why.</summary>
/// <param name="OcrConfidence">Tesseract's mean word confidence on the page (0–100), when OCR ran.</param>
/// <param name="OcrLanguages">The traineddata OCR used ("hin+eng").</param>
/// <param name="Rotation">Degrees the page was turned before OCR.</param>
/// <param name="Missing">What the page needed and the machine lacks (a language pack, a tool).</param>
/// <param name="Skew">Degrees the page was straightened by before OCR.</param>
public sealed record PageSource(
    int Page,
    string Source,
    string Reason,
    double? OcrConfidence = null,
    string? OcrLanguages = null,
    int Rotation = 0,
    IReadOnlyList<string>? Missing = null,
    double Skew = 0)
{
    public static PageSource FromOcr(int page, string source, string reason, Ports.OcrPage read) =>
        new(page, source, reason, read.Confidence, read.Languages, read.Rotation, read.Missing is { Count: > 0 } ? read.Missing : null, read.Skew);
}

/// <summary>
/// Language codes (ISO 639-1 by script: en, hi, bn, pa, gu, or, ta, te, kn, ml), mixed (no script writes 80 % of the
/// letters), und (no letters to judge by).
/// </summary>
public static class Languages
{
    public const string English = "en";
    public const string Malayalam = "ml";
    public const string Hindi = "hi";
    public const string Tamil = "ta";
    public const string Mixed = "mixed";
    public const string Undetermined = "und";
}

/// <param name="Script">ISO 15924 code of the script most letters are in (Latn, Deva, Mlym...); null when undetermined.</param>
/// <param name="Languages">Every language with at least a tenth of the letters, most first (a mixed page names its parts).</param>
public sealed record PageLanguage(int Page, string Language, double MalayalamRatio, string? Script = null, IReadOnlyList<string>? Languages = null);

public sealed record LanguageInput(string DocumentId, BlobReference? Text);

public sealed record LanguageResult(string Language, double MalayalamRatio, IReadOnlyList<PageLanguage> Pages, IReadOnlyList<string>? Languages = null);

public sealed record ClassifyInput(DocumentIntake Intake, BlobReference? Text, IReadOnlyDictionary<string, string> Properties);

public sealed record ClassificationResult(string DocumentType, IReadOnlyList<string> Departments, IReadOnlyList<string> Evidence);

public sealed record SummariseInput(string DocumentId, BlobReference? Text, string Language, string FileName);

public sealed record KeyFields(
    IReadOnlyList<DateOnly> Dates,
    IReadOnlyList<DateOnly> Deadlines,
    IReadOnlyList<string> WorkOrders,
    IReadOnlyList<string> PurchaseOrders,
    IReadOnlyList<string> Invoices,
    IReadOnlyList<string> Amounts,
    IReadOnlyList<string> Stations,
    IReadOnlyList<string> TrainSets)
{
    public static KeyFields None { get; } = new([], [], [], [], [], [], [], []);
}

public sealed record SummaryResult(string Summary, KeyFields Fields);

public sealed record CatalogInput(
    DocumentIntake Intake,
    ValidationResult Validation,
    ExtractionResult Extraction,
    LanguageResult Language,
    ClassificationResult Classification,
    SummaryResult Summary);

public sealed record CatalogResult(string DocumentId, IReadOnlyList<string> RoutedTo, bool DeadlineAlertRaised);

public sealed record RejectInput(DocumentIntake Intake, string Stage, string Reason);

public enum ProcessingOutcome
{
    Processed,
    Duplicate,
    Rejected,
}

public sealed record DocumentProcessingResult(ProcessingOutcome Outcome, string DocumentId, string? Stage, string? Reason);
