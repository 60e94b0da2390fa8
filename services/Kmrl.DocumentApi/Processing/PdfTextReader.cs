using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Model;
using Kmrl.DocumentApi.Ports;
using UglyToad.PdfPig;
using UglyToad.PdfPig.DocumentLayoutAnalysis.TextExtractor;
using UglyToad.PdfPig.Exceptions;

namespace Kmrl.DocumentApi.Processing;

/// <summary>
/// A PDF's text, page by page: PdfPig first; when PdfPig cannot parse the file, qpdf's decrypted copy (an encryption
/// PdfPig does not handle) and then poppler (which reconstructs a broken xref). Pages with too little text go to
/// OCR; a page whose OCR fails is recorded as failed and the others are kept. Every way it can end without text is a
/// <see cref="DocumentUnreadableException"/> with a named reason.
/// </summary>
public sealed class PdfTextReader(IOcrEngine ocr, IPdfTools tools, DocumentProcessingOptions options)
{
    public async Task<ExtractedText> ReadAsync(string path, CancellationToken cancellationToken)
    {
        var (extractor, pages) = await ReadTextLayerAsync(path, cancellationToken);

        var ocrPages = new List<int>();
        var failedPages = new List<int>();
        var needOcr = Enumerable.Range(1, pages.Count).Where(n => pages[n - 1].Count(char.IsLetterOrDigit) < options.MinTextCharsPerPage);
        foreach (var number in needOcr.Take(options.MaxOcrPages))
        {
            cancellationToken.ThrowIfCancellationRequested();
            string recognised;
            try
            {
                recognised = (await ocr.RecognisePdfPageAsync(path, number, cancellationToken)).Trim();
            }
            catch (Exception ex) when (ex is ToolFailedException or ToolNotInstalledException)
            {
                // One page pdftoppm or tesseract cannot do does not cost the rest of the document.
                failedPages.Add(number);
                continue;
            }
            if (recognised.Length > 0)
            {
                pages[number - 1] = recognised;
                ocrPages.Add(number);
            }
        }
        return new ExtractedText(ExtractionOutcome.Extracted, ocrPages.Count > 0 ? extractor + "+ocr" : extractor, pages, ocrPages,
            new Dictionary<string, string>(), failedPages);
    }

    /// <summary>True only when opening the PDF needs a user password; permission-only encryption opens without one.</summary>
    public async Task<bool> NeedsPasswordAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            using var pdf = PdfDocument.Open(path);
            return false;
        }
        catch (PdfDocumentEncryptedException)
        {
            return true;
        }
        catch (Exception ex) when (IsParseFailure(ex))
        {
            // PdfPig cannot tell on this file; qpdf can. Unknown or no qpdf: let extraction find out, which still ends
            // in encrypted-pdf when poppler is asked for a password.
        }
        try
        {
            return await tools.PasswordNeedAsync(path, cancellationToken) == PdfPasswordNeed.Required;
        }
        catch (ToolNotInstalledException)
        {
            return false;
        }
    }

    private async Task<(string Extractor, List<string> Pages)> ReadTextLayerAsync(string path, CancellationToken cancellationToken)
    {
        if (TryPdfPig(path, cancellationToken) is { } pages) return ("pdfpig", pages);

        var folder = Directory.CreateTempSubdirectory("kmrl-pdf-");
        try
        {
            var decrypted = Path.Combine(folder.FullName, "decrypted.pdf");
            if (await TryDecryptAsync(path, decrypted, cancellationToken) && TryPdfPig(decrypted, cancellationToken) is { } fromCopy)
            {
                return ("qpdf+pdfpig", fromCopy);
            }
        }
        finally
        {
            folder.Delete(recursive: true);
        }

        IReadOnlyList<string>? poppler;
        try
        {
            poppler = await tools.ReadPagesAsync(path, cancellationToken);
        }
        catch (ToolNotInstalledException missing)
        {
            throw new DocumentUnreadableException(RejectionReasons.ToolMissing,
                $"PdfPig could not parse the PDF, and poppler, which reads damaged PDFs, is not here: {missing.Detail}");
        }
        if (poppler is null)
        {
            throw new DocumentUnreadableException(RejectionReasons.CorruptPdf, "Neither PdfPig nor poppler could parse the PDF.");
        }
        return ("poppler", poppler.Select(p => p.Trim()).ToList());
    }

    private async Task<bool> TryDecryptAsync(string path, string output, CancellationToken cancellationToken)
    {
        try
        {
            return await tools.PasswordNeedAsync(path, cancellationToken) switch
            {
                PdfPasswordNeed.Required => throw new DocumentUnreadableException(RejectionReasons.EncryptedPdf, "The PDF needs a user password to open."),
                PdfPasswordNeed.NotRequired => await tools.DecryptAsync(path, output, cancellationToken),
                _ => false,
            };
        }
        catch (ToolNotInstalledException)
        {
            // Without qpdf, poppler still reads permission-only encryption itself.
            return false;
        }
    }

    /// <summary>The pages' text, or null when PdfPig cannot parse the file (wrong password included).</summary>
    private static List<string>? TryPdfPig(string path, CancellationToken cancellationToken)
    {
        try
        {
            using var pdf = PdfDocument.Open(path);
            // Pages are parsed lazily: a damaged page throws here, inside the same guard. Cancellation is checked
            // per page, so the extraction time budget stops a long document between pages.
            var pages = new List<string>();
            foreach (var page in pdf.GetPages())
            {
                cancellationToken.ThrowIfCancellationRequested();
                pages.Add(ContentOrderTextExtractor.GetText(page).Trim());
            }
            return pages;
        }
        catch (Exception ex) when (IsParseFailure(ex))
        {
            return null;
        }
    }

    // PdfPig reports damage with its own format exception but also with whatever a parser hits on bad bytes
    // (index out of range, invalid operation...): any of them means "PdfPig cannot read this file".
    private static bool IsParseFailure(Exception ex) => ex is not (OperationCanceledException or OutOfMemoryException);
}
