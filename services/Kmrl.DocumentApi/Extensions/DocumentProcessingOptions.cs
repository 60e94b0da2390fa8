using System.ComponentModel.DataAnnotations;
using Kmrl.BuildingBlocks.Secrets;
using Kmrl.Contracts;

namespace Kmrl.DocumentApi.Extensions;

public sealed class DocumentProcessingOptions
{
    public const string Section = "DocumentProcessing";

    /// <summary>Rules file (YAML); relative paths are from the app's base directory.</summary>
    [Required]
    public string RulesPath { get; set; } = "Rules/document-rules.yaml";

    /// <summary>A deadline within this many days of processing raises DocumentDeadlineApproaching.</summary>
    [Range(0, 365)]
    public int DeadlineHorizonDays { get; set; } = 14;

    [Range(100, 5000)]
    public int SummaryMaxChars { get; set; } = 400;

    /// <summary>
    /// Characters of a document's text the summary and the key fields are taken from (its beginning). Issue 18: a
    /// 100 MiB text file peaked near 2 GiB while summarising; 4 million characters keep that step near 100 MiB.
    /// </summary>
    [Range(10_000, 100_000_000)]
    public int MaxAnalysedChars { get; set; } = 4_000_000;

    /// <summary>Caps on OOXML (zip) content: total expanded bytes, expansion ratio and entry count.</summary>
    [Range(1024, long.MaxValue)]
    public long MaxExpandedBytes { get; set; } = 512L * 1024 * 1024;

    [Range(2, 10_000)]
    public double MaxCompressionRatio { get; set; } = 200;

    [Range(10, 1_000_000)]
    public int MaxZipEntries { get; set; } = 10_000;

    /// <summary>
    /// Deepest element nesting accepted in an OOXML part. Real documents stay well under 100 (a table in a table adds
    /// four); the SDK's recursive DOM load would overflow the stack somewhere in the tens of thousands.
    /// </summary>
    [Range(16, 10_000)]
    public int MaxXmlDepth { get; set; } = 256;

    /// <summary>
    /// Longest an extraction may run (parsing and OCR of one document). Past it the activity fails with
    /// time-budget-exceeded instead of holding a worker: 50 OCR pages at the OCR timeout would otherwise be hours.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "06:00:00")]
    public TimeSpan ExtractTimeBudget { get; set; } = TimeSpan.FromMinutes(20);

    /// <summary>A PDF page with fewer text characters than this is treated as scanned and sent to OCR.</summary>
    [Range(0, 10_000)]
    public int MinTextCharsPerPage { get; set; } = 16;

    /// <summary>Pages beyond this are not OCR'd (a 500-page scan would hold a worker for hours).</summary>
    [Range(1, 10_000)]
    public int MaxOcrPages { get; set; } = 50;

    /// <summary>
    /// The first this-many PDF pages whose text layer passes every check are read by OCR as well, and OCR's agreement
    /// decides (keep, both, replace) as for a font without ToUnicode: what catches a ToUnicode map that lies (legacy
    /// fonts mapped to ASCII). 0, the default, checks none: it costs an OCR pass per checked page.
    /// </summary>
    [Range(0, 10_000)]
    public int CrossCheckTextPages { get; set; }
}

public sealed class OcrOptions
{
    public const string Section = "DocumentProcessing:Ocr";

    [Required]
    public string TesseractPath { get; set; } = "tesseract";

    [Required]
    public string PdftoppmPath { get; set; } = "pdftoppm";

    /// <summary>
    /// Languages of the first pass over a page whose script orientation detection cannot tell (too little text):
    /// the script of what it reads then picks the pack for a second pass (eng alone for Latin). A page whose script
    /// OSD knows is read once, with that script's pack and English.
    /// </summary>
    [Required]
    public string Languages { get; set; } = "eng+hin+tam+mal";

    /// <summary>The traineddata OCR may choose from by a page's script (tesseract names, '+'-separated).</summary>
    [Required]
    public string AllowedLanguages { get; set; } = "eng+hin+ben+pan+guj+ori+tam+tel+kan+mal";

    /// <summary>Where the traineddata are (tesseract's --tessdata-dir); unset, tesseract's own default.</summary>
    public string? TessdataPath { get; set; }

    /// <summary>ImageMagick's convert: turns and deskews pages, takes frames out of a multi-page TIFF.</summary>
    [Required]
    public string ConvertPath { get; set; } = "convert";

    /// <summary>
    /// Least OSD orientation confidence at which a page is turned. Measured on generated 90°/180° scans: 17; a page
    /// the right way up reported Rotate: 0. OCRmyPDF's default of 14 left a real 90° scan (10.8) unturned.
    /// </summary>
    [Range(0, 100)]
    public double RotateConfidence { get; set; } = 3;

    /// <summary>Straighten a skewed page (ImageMagick -deskew) before OCR.</summary>
    public bool Deskew { get; set; } = true;

    [Range(72, 600)]
    public int Dpi { get; set; } = 300;

    /// <summary>
    /// Most pixels an image, or a PDF page at <see cref="Dpi"/>, may have before OCR: read from the image header or
    /// pdfinfo's page size, before anything is decoded or rendered. 150 million fits an A0 drawing at 300 dpi.
    /// </summary>
    [Range(1_000_000, 2_000_000_000)]
    public long MaxPixels { get; set; } = 150_000_000;

    [Range(1, 3600)]
    public int TimeoutSeconds { get; set; } = 180;
}

/// <summary>poppler and qpdf, for PDFs PdfPig cannot read (damaged, or encrypted in a way it does not handle).</summary>
public sealed class PdfToolOptions
{
    public const string Section = "DocumentProcessing:PdfTools";

    [Required]
    public string PdftotextPath { get; set; } = "pdftotext";

    [Required]
    public string PdfinfoPath { get; set; } = "pdfinfo";

    [Required]
    public string QpdfPath { get; set; } = "qpdf";

    [Required]
    public string PdffontsPath { get; set; } = "pdffonts";

    [Range(1, 3600)]
    public int TimeoutSeconds { get; set; } = 120;
}

/// <summary>LibreOffice (legacy Office, OpenDocument, RTF) and msgconvert (Outlook .msg); both optional.</summary>
public sealed class OfficeToolOptions
{
    public const string Section = "DocumentProcessing:OfficeTools";

    [Required]
    public string SofficePath { get; set; } = "soffice";

    [Required]
    public string MsgconvertPath { get; set; } = "msgconvert";

    /// <summary>Longest one conversion may run; a start of LibreOffice with a fresh profile takes a few seconds.</summary>
    [Range(5, 3600)]
    public int TimeoutSeconds { get; set; } = 120;
}

public sealed class UploadOptions
{
    public const string Section = "DocumentApi:Upload";

    [Range(1, long.MaxValue)]
    public long MaxFileBytes { get; set; } = 100L * 1024 * 1024;

    [Range(1, 1000)]
    public int MaxFiles { get; set; } = 20;

    /// <summary>Declared content types accepted at upload (anything else is 415).</summary>
    [MinLength(1)]
    public string[] AllowedContentTypes { get; set; } =
        // Browsers send files they have no type for as octet-stream; the sniffer decides what they really are.
        [.. DocumentContentTypes.Readable, "application/octet-stream"];
}

public sealed class PipelineOptions
{
    public const string Section = "DocumentApi:Pipeline";

    /// <summary>/health reports Degraded once more documents than this wait for processing (accepted, not final).</summary>
    [Range(1, int.MaxValue)]
    public int BacklogDegradedDepth { get; set; } = 500;

    /// <summary>
    /// While the backlog is past <see cref="BacklogDegradedDepth"/>, PipelineBacklogHigh is published this often (the
    /// notifications service mails operations once per incident, and the recovery once reports stop).
    /// </summary>
    public TimeSpan BacklogReportInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>CPU-bound steps (text extraction, OCR) at once in this process; 0 means one per core.</summary>
    [Range(0, 1024)]
    public int MaxConcurrentCpuActivities { get; set; }

    /// <summary>At start-up, schedule again every document in flight whose run the workflow runtime no longer has.</summary>
    public bool ReconcileOnStart { get; set; } = true;

    /// <summary>How many in-flight documents one reconciliation looks at (the rest wait for the next start).</summary>
    [Range(1, 100_000)]
    public int ReconcileMaxDocuments { get; set; } = 2000;

    public int EffectiveCpuConcurrency => MaxConcurrentCpuActivities > 0 ? MaxConcurrentCpuActivities : Environment.ProcessorCount;

    /// <summary>
    /// Bulk-lane documents (<c>document-discovered-bulk</c>) in the workflow engine at once from this process. The rest
    /// of an import waits in pub/sub, so an upload's workflow queues behind at most this many. The default matches the
    /// sidecar's <c>maxConcurrentActivityInvocations</c> (32): a workflow spends most of its time waiting on the engine
    /// and the state store, so fewer leaves the activity slots idle (4 in flight made an import of 500 crawl), and more
    /// cannot run at once anyway.
    /// </summary>
    [Range(1, 100_000)]
    public int MaxBulkInFlight { get; set; } = 32;

    public int EffectiveBulkInFlight => MaxBulkInFlight;
}
