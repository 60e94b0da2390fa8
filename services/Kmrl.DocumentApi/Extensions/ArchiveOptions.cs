using System.ComponentModel.DataAnnotations;

namespace Kmrl.DocumentApi.Extensions;

/// <summary>
/// The searchable PDF/A copy of every scan (OCRmyPDF, Debian <c>ocrmypdf</c>), stored beside the original and served
/// at <c>GET /documents/{id}/archive</c>. Optional: without the tool the document is catalogued as always and its
/// record says <c>tool-missing:ocrmypdf</c>.
/// </summary>
public sealed class ArchiveOptions
{
    public const string Section = "DocumentProcessing:Archive";

    public bool Enabled { get; set; } = true;

    [Required]
    public string OcrmypdfPath { get; set; } = "ocrmypdf";

    /// <summary>Time for one document; OCRmyPDF takes about 3 s a page on one core (OCR, PDF/A conversion).</summary>
    [Range(1, 86_400)]
    public int TimeoutSeconds { get; set; } = 600;

    /// <summary>Scans with more pages get no archive copy (the OCR'd text is kept either way).</summary>
    [Range(1, 10_000)]
    public int MaxPages { get; set; } = 200;
}
