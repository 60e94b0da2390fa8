using System.Globalization;
using System.Text.RegularExpressions;
using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Model;
using Kmrl.DocumentApi.Ports;
using Kmrl.DocumentApi.Processing;
using Microsoft.Extensions.Options;

namespace Kmrl.DocumentApi.Adapters;

/// <summary>
/// Checks the pixels before OCR decodes or renders anything: an image's header dimensions, a PDF page's size from
/// pdfinfo times the OCR dpi, against <see cref="OcrOptions.MaxPixels"/>. A 333-byte PDF can declare a page that
/// pdftoppm renders into gigabytes, a 150 KB PNG an image tesseract decodes into as much. An image over the cap is
/// refused as <c>image-too-large</c>; a PDF page over it is a failed page (<see cref="PixelLimitExceededException"/>,
/// a <see cref="ToolFailedException"/>), so the other pages are still read.
/// </summary>
public sealed partial class PixelLimitedOcrEngine(IOcrEngine inner, IOptions<OcrOptions> ocr, IOptions<PdfToolOptions> pdfTools) : IOcrEngine
{
    private const double PointsPerInch = 72;

    public Task<string> RecogniseImageAsync(string imagePath, CancellationToken cancellationToken)
    {
        if (ImageDimensions.Read(imagePath) is { } size && size.Pixels > ocr.Value.MaxPixels)
        {
            throw new DocumentUnreadableException(RejectionReasons.ImageTooLarge,
                string.Create(CultureInfo.InvariantCulture, $"The image is {size.Width} × {size.Height} pixels, more than the {ocr.Value.MaxPixels} OCR reads."));
        }
        return inner.RecogniseImageAsync(imagePath, cancellationToken);
    }

    public async Task<string> RecognisePdfPageAsync(string pdfPath, int pageNumber, CancellationToken cancellationToken)
    {
        if (await PagePointsAsync(pdfPath, pageNumber, cancellationToken) is var (width, height))
        {
            var dpi = ocr.Value.Dpi;
            var pixels = Math.Ceiling(width / PointsPerInch * dpi) * Math.Ceiling(height / PointsPerInch * dpi);
            if (pixels > ocr.Value.MaxPixels)
            {
                throw new PixelLimitExceededException(string.Create(CultureInfo.InvariantCulture,
                    $"{RejectionReasons.ImageTooLarge}: page {pageNumber} is {width} × {height} pt, {pixels:0} pixels at {dpi} dpi, more than {ocr.Value.MaxPixels}."));
            }
        }
        return await inner.RecognisePdfPageAsync(pdfPath, pageNumber, cancellationToken);
    }

    /// <summary>The page's size in points as pdfinfo reports it (crop box, as pdftoppm renders), or null when it cannot tell.</summary>
    private async Task<(double Width, double Height)?> PagePointsAsync(string pdfPath, int pageNumber, CancellationToken cancellationToken)
    {
        var page = pageNumber.ToString(CultureInfo.InvariantCulture);
        ToolRun run;
        try
        {
            run = await ToolProcess.RunAsync(pdfTools.Value.PdfinfoPath, ["-f", page, "-l", page, pdfPath],
                TimeSpan.FromSeconds(pdfTools.Value.TimeoutSeconds), cancellationToken);
        }
        catch (ToolNotInstalledException)
        {
            // No poppler: pdftoppm is not there either, and the render fails as the page's own failure.
            return null;
        }
        if (run.ExitCode != 0 || PageSizeLine().Match(run.Stdout) is not { Success: true } match) return null;
        return (double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), double.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"^Page\s+\d+\s+size:\s+([0-9.]+)\s+x\s+([0-9.]+)\s+pts", RegexOptions.Multiline | RegexOptions.NonBacktracking, matchTimeoutMilliseconds: 2000)]
    private static partial Regex PageSizeLine();
}

/// <summary>A PDF page whose rendering would pass the pixel cap: not rendered, recorded as a failed page.</summary>
public sealed class PixelLimitExceededException(string message) : ToolFailedException("pdftoppm", 0, message);
