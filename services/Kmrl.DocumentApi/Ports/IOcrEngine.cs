namespace Kmrl.DocumentApi.Ports;

/// <summary>Reads text from pixels: an image file, or one page of a PDF that has no text layer.</summary>
public interface IOcrEngine
{
    Task<string> RecogniseImageAsync(string imagePath, CancellationToken cancellationToken);

    /// <param name="pageNumber">1-based page number.</param>
    Task<string> RecognisePdfPageAsync(string pdfPath, int pageNumber, CancellationToken cancellationToken);
}
