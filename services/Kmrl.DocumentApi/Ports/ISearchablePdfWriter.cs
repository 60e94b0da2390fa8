namespace Kmrl.DocumentApi.Ports;

/// <summary>How the archive copy treats the pages' own text (OCRmyPDF's three modes).</summary>
public enum ArchiveOcrMode
{
    /// <summary>OCR only the pages without text (a scan); pages with text are copied as they are.</summary>
    SkipText,
    /// <summary>Keep the visible text and OCR the rest of each page (a scan with a stamped reference).</summary>
    RedoOcr,
    /// <summary>Rasterise and OCR every page: a broken text layer (legacy fonts) cannot be searched as it is.</summary>
    ForceOcr,
}

/// <summary>
/// Writes a searchable PDF/A copy of a scan (the image under an invisible OCR text layer), as Paperless-ngx keeps
/// beside the original. The tool may be missing (<see cref="ToolNotInstalledException"/>) or refuse the file
/// (<see cref="ToolFailedException"/>).
/// </summary>
public interface ISearchablePdfWriter
{
    /// <param name="isImage">The input is a PNG, JPEG or TIFF rather than a PDF.</param>
    /// <param name="languages">tesseract's -l ("eng+mal").</param>
    Task WriteAsync(string inputPath, bool isImage, string languages, ArchiveOcrMode mode, string outputPath, CancellationToken cancellationToken);
}
