using System.ComponentModel.DataAnnotations;
using Kmrl.Contracts;
using Kmrl.ServiceDefaults.Secrets;

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
}

public sealed class OcrOptions
{
    public const string Section = "DocumentProcessing:Ocr";

    [Required]
    public string TesseractPath { get; set; } = "tesseract";

    [Required]
    public string PdftoppmPath { get; set; } = "pdftoppm";

    [Required]
    public string Languages { get; set; } = "eng+mal";

    [Range(72, 600)]
    public int Dpi { get; set; } = 300;

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

    [Range(1, 3600)]
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
    [
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
        "image/png",
        "image/jpeg",
        "image/tiff",
        "text/plain",
        "text/csv",
        "message/rfc822",
        "application/octet-stream",
    ];
}

public sealed class ApiSecurityOptions
{
    public const string Section = "DocumentApi:Security";

    /// <summary>The secret holding the API keys: each of its keys is a client, the value "key;role,role".</summary>
    [Required]
    [SecretName]
    public string ApiKeysSecret { get; set; } = DaprNames.Secrets.DocumentApiApiKeys;

    [Range(1, 86_400)]
    public int ApiKeyCacheSeconds { get; set; } = 300;

    /// <summary>Dapr's APP_API_TOKEN: when set, sidecar-to-app calls must carry it in dapr-api-token.</summary>
    public string? AppApiToken { get; set; }
}

public sealed class PipelineOptions
{
    public const string Section = "DocumentApi:Pipeline";

    /// <summary>/health reports Degraded once more documents than this wait for processing (accepted, not final).</summary>
    [Range(1, int.MaxValue)]
    public int BacklogDegradedDepth { get; set; } = 500;

    /// <summary>CPU-bound steps (text extraction, OCR) at once in this process; 0 means one per core.</summary>
    [Range(0, 1024)]
    public int MaxConcurrentCpuActivities { get; set; }

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
