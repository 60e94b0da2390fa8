using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Ports;
using Microsoft.Extensions.Options;

namespace Kmrl.DocumentApi.Adapters;

/// <summary>
/// OCR with the tesseract CLI (<c>tesseract in out -l eng+mal</c>); PDF pages are rasterised first with pdftoppm.
/// Each call works in its own temp folder, so concurrent activities do not collide.
/// </summary>
public sealed partial class TesseractOcrEngine(IOptions<OcrOptions> options, ILogger<TesseractOcrEngine> logger) : IOcrEngine
{
    private readonly OcrOptions _options = options.Value;

    public async Task<string> RecogniseImageAsync(string imagePath, CancellationToken cancellationToken)
    {
        var folder = Directory.CreateTempSubdirectory("kmrl-ocr-");
        try
        {
            var outputBase = Path.Combine(folder.FullName, "out");
            await RunAsync(_options.TesseractPath,
                [imagePath, outputBase, "-l", _options.Languages, "--dpi", _options.Dpi.ToString(System.Globalization.CultureInfo.InvariantCulture)],
                cancellationToken);
            return await File.ReadAllTextAsync(outputBase + ".txt", cancellationToken);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    public async Task<string> RecognisePdfPageAsync(string pdfPath, int pageNumber, CancellationToken cancellationToken)
    {
        var folder = Directory.CreateTempSubdirectory("kmrl-ocr-");
        try
        {
            var page = pageNumber.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var imageBase = Path.Combine(folder.FullName, "page");
            await RunAsync(_options.PdftoppmPath,
                ["-f", page, "-l", page, "-r", _options.Dpi.ToString(System.Globalization.CultureInfo.InvariantCulture), "-gray", "-png", "-singlefile", pdfPath, imageBase],
                cancellationToken);
            return await RecogniseImageAsync(imageBase + ".png", cancellationToken);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private async Task RunAsync(string fileName, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var run = await ToolProcess.RunAsync(fileName, arguments, TimeSpan.FromSeconds(_options.TimeoutSeconds), cancellationToken);
        if (run.ExitCode != 0)
        {
            LogToolFailed(logger, fileName, run.ExitCode, run.Stderr);
            throw new ToolFailedException(Path.GetFileName(fileName), run.ExitCode, ToolProcess.FirstLine(run.Stderr));
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "OCR tool {Tool} exited with {ExitCode}: {Errors}")]
    private static partial void LogToolFailed(ILogger logger, string tool, int exitCode, string errors);
}
