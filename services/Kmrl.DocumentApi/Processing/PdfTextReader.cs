using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Model;
using Kmrl.DocumentApi.Ports;
using UglyToad.PdfPig;
using UglyToad.PdfPig.DocumentLayoutAnalysis.TextExtractor;
using UglyToad.PdfPig.Exceptions;

namespace Kmrl.DocumentApi.Processing;

/// <summary>
/// A PDF's text, page by page: PdfPig first; when PdfPig cannot parse the file, qpdf's decrypted copy (an encryption
/// PdfPig does not handle) and then poppler (which reconstructs a broken xref). Each page's text layer is judged
/// (<see cref="TextLayerQuality"/>, with pdffonts' fonts without ToUnicode): a missing or broken layer is replaced by
/// OCR, a short clean one gets OCR added, a suspect one is checked against OCR; the record says which per page and
/// why. A page whose OCR fails is recorded as failed and the others are kept. Filled form values are added to their
/// page and active content is named. Every way it can end without text is a
/// <see cref="DocumentUnreadableException"/> with a named reason.
/// </summary>
public sealed class PdfTextReader(IOcrEngine ocr, IPdfTools tools, DocumentProcessingOptions options)
{
    public async Task<ExtractedText> ReadAsync(string path, CancellationToken cancellationToken)
    {
        var (extractor, pages, findings) = await ReadTextLayerAsync(path, cancellationToken);
        AddFormValues(pages, findings);

        var unmappedInFile = await UnmappedFontsAsync(path, null, cancellationToken);
        var sources = new List<PageSource>(pages.Count);
        var ocrPages = new List<int>();
        var failedPages = new List<int>();
        var ocrBudget = options.MaxOcrPages;
        var crossChecks = 0;
        for (var number = 1; number <= pages.Count; number++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var layer = pages[number - 1];
            // pdffonts per page only when the file has an unmapped font at all, and only while OCR could still check.
            var unmapped = unmappedInFile.Count == 0 || ocrBudget == 0 ? [] : await UnmappedFontsAsync(path, number, cancellationToken);
            var verdict = TextLayerQuality.Judge(layer, options.MinTextCharsPerPage, unmapped);
            if (!verdict.NeedsOcr && !verdict.VerifyWithOcr && crossChecks < options.CrossCheckTextPages)
            {
                crossChecks++;
                verdict = verdict with { Reason = verdict.Reason + " (cross-checked)", VerifyWithOcr = true };
            }
            if (!verdict.NeedsOcr && !verdict.VerifyWithOcr)
            {
                sources.Add(new PageSource(number, verdict.Source, verdict.Reason));
                continue;
            }
            if (ocrBudget == 0)
            {
                sources.Add(new PageSource(number, PageSources.TextLayer, $"{verdict.Reason}; not OCR'd: past the cap of {options.MaxOcrPages} OCR pages"));
                continue;
            }
            ocrBudget--;
            OcrPage read;
            try
            {
                read = await ocr.ReadPdfPageAsync(path, number, cancellationToken);
            }
            catch (Exception ex) when (ex is ToolFailedException or ToolNotInstalledException)
            {
                // One page pdftoppm or tesseract cannot do does not cost the rest of the document. A layer that was
                // only being checked stays; a page that needed OCR is failed.
                var why = ex is ToolFailedException failed ? $"{failed.Tool} failed: {failed.ToolMessage}" : ((ToolNotInstalledException)ex).Detail;
                if (verdict.VerifyWithOcr)
                {
                    sources.Add(new PageSource(number, PageSources.TextLayer, $"{verdict.Reason}; not checked by OCR: {why}"));
                }
                else
                {
                    failedPages.Add(number);
                    sources.Add(new PageSource(number, PageSources.Failed, $"{verdict.Reason}; OCR failed: {why}"));
                }
                continue;
            }
            var recognised = read.Text.Trim();
            if (verdict.VerifyWithOcr) verdict = TextLayerQuality.Verified(verdict, TextLayerQuality.Agreement(layer, recognised));
            if (verdict.Source == PageSources.Ocr && recognised.Length > 0)
            {
                pages[number - 1] = recognised;
                ocrPages.Add(number);
            }
            else if (verdict.Source == PageSources.Both && recognised.Length > 0)
            {
                pages[number - 1] = TextLayerQuality.Combine(layer, recognised);
                ocrPages.Add(number);
            }
            var reason = recognised.Length == 0 && verdict.Source != PageSources.TextLayer ? verdict.Reason + "; OCR found no text" : verdict.Reason;
            sources.Add(PageSource.FromOcr(number, verdict.Source, reason, read));
        }
        return new ExtractedText(ExtractionOutcome.Extracted, ocrPages.Count > 0 ? extractor + "+ocr" : extractor, pages, ocrPages,
            new Dictionary<string, string>(), failedPages, sources, findings.FormFields, findings.ActiveContent);
    }

    /// <summary>Field values are in no text layer (they live in the form): each filled field is added to its page as "name: value".</summary>
    private static void AddFormValues(List<string> pages, PdfFindings findings)
    {
        if (pages.Count == 0) return;
        foreach (var (name, value) in findings.FormFields)
        {
            var index = findings.FieldPages.TryGetValue(name, out var page) && page >= 1 && page <= pages.Count ? page - 1 : 0;
            pages[index] = (pages[index].Length == 0 ? "" : pages[index] + "\n") + name + ": " + value;
        }
    }

    private async Task<IReadOnlyList<string>> UnmappedFontsAsync(string path, int? page, CancellationToken cancellationToken)
    {
        try
        {
            return await tools.UnmappedFontsAsync(path, page, cancellationToken);
        }
        catch (ToolNotInstalledException)
        {
            // Without pdffonts the other checks still run; only the font hint is lost.
            return [];
        }
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

    private async Task<(string Extractor, List<string> Pages, PdfFindings Findings)> ReadTextLayerAsync(string path, CancellationToken cancellationToken)
    {
        if (TryPdfPig(path, cancellationToken) is { } read) return ("pdfpig", read.Pages, read.Findings);

        var folder = Directory.CreateTempSubdirectory("kmrl-pdf-");
        try
        {
            var decrypted = Path.Combine(folder.FullName, "decrypted.pdf");
            if (await TryDecryptAsync(path, decrypted, cancellationToken) && TryPdfPig(decrypted, cancellationToken) is { } fromCopy)
            {
                return ("qpdf+pdfpig", fromCopy.Pages, fromCopy.Findings);
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
        return ("poppler", poppler.Select(p => p.Trim()).ToList(), PdfFindings.None);
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

    /// <summary>The pages' text and form/active content, or null when PdfPig cannot parse the file (wrong password included).</summary>
    private static (List<string> Pages, PdfFindings Findings)? TryPdfPig(string path, CancellationToken cancellationToken)
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
            return (pages, Findings(pdf));
        }
        catch (Exception ex) when (IsParseFailure(ex))
        {
            return null;
        }
    }

    /// <summary>Form values and active content; a damaged form or action tree costs only these, not the text.</summary>
    private static PdfFindings Findings(PdfDocument pdf)
    {
        try
        {
            return PdfFindings.Read(pdf);
        }
        catch (Exception ex) when (IsParseFailure(ex))
        {
            return PdfFindings.None;
        }
    }

    // PdfPig reports damage with its own format exception but also with whatever a parser hits on bad bytes
    // (index out of range, invalid operation...): any of them means "PdfPig cannot read this file".
    private static bool IsParseFailure(Exception ex) => ex is not (OperationCanceledException or OutOfMemoryException);
}
