namespace Kmrl.DocumentApi.Ports;

/// <summary>What OCR read on one page and how.</summary>
/// <param name="Confidence">Tesseract's mean word confidence (0–100), null when the engine does not say.</param>
/// <param name="Languages">The traineddata used, as tesseract's -l ("hin+eng").</param>
/// <param name="Rotation">Degrees the page was turned clockwise before OCR (orientation detection), 0 if none.</param>
/// <param name="Script">The script orientation detection saw (tesseract's name: Latin, Malayalam...), null if it could not tell.</param>
/// <param name="Missing">What this page needed and the machine lacks (a language pack, the rotation tool).</param>
/// <param name="Skew">Degrees the page was straightened by after turning (deskew), 0 if none.</param>
public sealed record OcrPage(
    string Text,
    double? Confidence = null,
    string? Languages = null,
    int Rotation = 0,
    string? Script = null,
    IReadOnlyList<string>? Missing = null,
    double Skew = 0);

/// <summary>Reads text from pixels: an image file, or one page of a PDF that has no text layer.</summary>
public interface IOcrEngine
{
    Task<string> RecogniseImageAsync(string imagePath, CancellationToken cancellationToken);

    /// <param name="pageNumber">1-based page number.</param>
    Task<string> RecognisePdfPageAsync(string pdfPath, int pageNumber, CancellationToken cancellationToken);

    /// <summary>One PDF page with what OCR knows about it (orientation, languages, confidence).</summary>
    async Task<OcrPage> ReadPdfPageAsync(string pdfPath, int pageNumber, CancellationToken cancellationToken) =>
        new(await RecognisePdfPageAsync(pdfPath, pageNumber, cancellationToken));

    /// <summary>One frame of an image (a multi-page TIFF has several; 0 is the first).</summary>
    async Task<OcrPage> ReadImageAsync(string imagePath, int frame, CancellationToken cancellationToken) =>
        new(await RecogniseImageAsync(imagePath, cancellationToken));
}
