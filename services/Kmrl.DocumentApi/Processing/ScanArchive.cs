using Kmrl.ClaimCheck;
using Kmrl.Contracts;
using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Model;
using Kmrl.DocumentApi.Ports;
using Microsoft.Extensions.Options;

namespace Kmrl.DocumentApi.Processing;

/// <summary>The searchable PDF/A copy of a scan, or why there is none (<see cref="ArchiveStatuses"/>).</summary>
public sealed record ArchiveCopy(BlobReference? Blob, string Status);

public static class ArchiveStatuses
{
    /// <summary>A searchable PDF/A copy is stored (<see cref="ArchiveCopy.Blob"/>).</summary>
    public const string Stored = "pdfa";
    public const string ToolMissing = "tool-missing:ocrmypdf";
    /// <summary>Prefix of "failed: ocrmypdf exited with 8: ..." and the like; the document is catalogued all the same.</summary>
    public const string FailedPrefix = "failed: ";
    public const string Skipped = "skipped: ";
}

/// <summary>
/// Keeps a searchable PDF/A copy of every scan beside its original, as Paperless-ngx does: an image, or a PDF of which
/// our reading OCR'd a page. The copy is made with the languages our OCR chose per page, and in the mode the pages
/// need (a broken text layer is rasterised, a stamped scan keeps its stamp). It never costs the document: a missing
/// tool or a refusal is only written on the record.
/// </summary>
public sealed class ScanArchive(
    ISearchablePdfWriter writer, IDocumentContentStore store, IOptions<ArchiveOptions> options, IOptions<OcrOptions> ocr, IPdfTools? pdfTools = null)
{
    public static string KeyFor(string documentId) => $"archive-{documentId}";

    /// <summary>OCRmyPDF's ExitCode.encrypted_pdf: it does not open even permission-only encryption.</summary>
    private const int EncryptedPdf = 8;

    /// <summary>The copy for this document, or null when it is not a scan (or archiving is off).</summary>
    public async Task<ArchiveCopy?> KeepAsync(string documentId, string path, DocumentKind kind, ExtractedText extracted, CancellationToken cancellationToken)
    {
        if (!options.Value.Enabled || extracted.Outcome != ExtractionOutcome.Extracted || !IsScan(kind, extracted)) return null;
        if (extracted.Pages.Count > options.Value.MaxPages)
        {
            return new ArchiveCopy(null, $"{ArchiveStatuses.Skipped}{extracted.Pages.Count} pages, more than the cap of {options.Value.MaxPages}");
        }
        var folder = Directory.CreateTempSubdirectory("kmrl-archive-");
        try
        {
            var output = Path.Combine(folder.FullName, "archive.pdf");
            var isImage = kind != DocumentKind.Pdf;
            var languages = LanguagesOf(extracted);
            var mode = ModeOf(extracted);
            try
            {
                await writer.WriteAsync(path, isImage, languages, mode, output, cancellationToken);
            }
            catch (ToolFailedException failure) when (failure.ExitCode == EncryptedPdf && pdfTools is not null)
            {
                // Permission-only encryption: our reading opened it through qpdf, so the archive does the same.
                var plain = Path.Combine(folder.FullName, "plain.pdf");
                if (!await pdfTools.DecryptAsync(path, plain, cancellationToken)) throw;
                await writer.WriteAsync(plain, isImage, languages, mode, output, cancellationToken);
            }
            await using var content = File.OpenRead(output);
            var blob = await store.WriteAsync(KeyFor(documentId), content, cancellationToken);
            return new ArchiveCopy(blob, ArchiveStatuses.Stored);
        }
        catch (ToolNotInstalledException missing)
        {
            return new ArchiveCopy(null, missing.Tool == "ocrmypdf" ? ArchiveStatuses.ToolMissing : "tool-missing:" + missing.Tool);
        }
        catch (ToolFailedException failure)
        {
            return new ArchiveCopy(null, ArchiveStatuses.FailedPrefix + failure.Message);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new ArchiveCopy(null, $"{ArchiveStatuses.FailedPrefix}ocrmypdf ran longer than {options.Value.TimeoutSeconds} s");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static bool IsScan(DocumentKind kind, ExtractedText extracted) => kind switch
    {
        DocumentKind.Png or DocumentKind.Jpeg or DocumentKind.Tiff => extracted.OcrPages.Count > 0,
        DocumentKind.Pdf => extracted.OcrPages.Count > 0,
        _ => false,
    };

    /// <summary>Every traineddata our OCR used on some page, in the order first used; the configured set when none is known.</summary>
    internal string LanguagesOf(ExtractedText extracted)
    {
        var languages = (extracted.PageSources ?? [])
            .SelectMany(p => p.OcrLanguages?.Split('+', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [])
            .Distinct(StringComparer.Ordinal)
            .ToList();
        return languages.Count > 0 ? string.Join('+', languages) : ocr.Value.Languages;
    }

    /// <summary>A replaced (broken) text layer needs every page rasterised; a kept short layer needs the rest OCR'd around it.</summary>
    internal static ArchiveOcrMode ModeOf(ExtractedText extracted)
    {
        var sources = extracted.PageSources ?? [];
        if (sources.Any(p => p.Source == PageSources.Ocr && !p.Reason.StartsWith(TextLayerQuality.NoTextLayer, StringComparison.Ordinal)))
        {
            return ArchiveOcrMode.ForceOcr;
        }
        return sources.Any(p => p.Source == PageSources.Both) ? ArchiveOcrMode.RedoOcr : ArchiveOcrMode.SkipText;
    }
}
