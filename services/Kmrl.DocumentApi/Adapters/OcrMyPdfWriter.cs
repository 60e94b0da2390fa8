using System.Globalization;
using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Ports;
using Microsoft.Extensions.Options;

namespace Kmrl.DocumentApi.Adapters;

/// <summary>
/// OCRmyPDF as a CLI: <c>--output-type pdfa</c> (PDF/A-2b through Ghostscript), one job (activities already run in
/// parallel), pages turned at the same OSD confidence our own OCR turns them at (its default of 14 leaves real 90°
/// scans unturned, see <see cref="OcrOptions.RotateConfidence"/>) and deskewed, except in redo-ocr mode, which
/// OCRmyPDF does not combine with deskew. The tools it runs inherit the extraction tools' kernel limits.
/// </summary>
public sealed partial class OcrMyPdfWriter(
    IOptions<ArchiveOptions> options, IOptions<OcrOptions> ocr, IOptions<ExtractionIsolationOptions> isolation, ILogger<OcrMyPdfWriter> logger)
    : ISearchablePdfWriter
{
    /// <summary>OCRmyPDF's ExitCode.input_file: also what it answers for an image without a credible resolution.</summary>
    private const int InputFileError = 2;

    public async Task WriteAsync(string inputPath, bool isImage, string languages, ArchiveOcrMode mode, string outputPath, CancellationToken cancellationToken)
    {
        var run = await RunAsync(Arguments(inputPath, languages, mode, outputPath, imageDpi: false), cancellationToken);
        if (run.ExitCode == InputFileError && isImage && run.Stderr.Contains("DPI", StringComparison.OrdinalIgnoreCase))
        {
            // A photo or a screenshot names no resolution: it is taken at the resolution our OCR reads pages at.
            run = await RunAsync(Arguments(inputPath, languages, mode, outputPath, imageDpi: true), cancellationToken);
        }
        if (run.ExitCode != 0 || !File.Exists(outputPath))
        {
            var message = LastLine(run.Stderr);
            LogRefused(logger, run.ExitCode, message);
            throw new ToolFailedException("ocrmypdf", run.ExitCode, message);
        }
    }

    private List<string> Arguments(string inputPath, string languages, ArchiveOcrMode mode, string outputPath, bool imageDpi)
    {
        List<string> arguments = ["--output-type", "pdfa", "--jobs", "1", "-l", languages,
            "--rotate-pages", "--rotate-pages-threshold", ocr.Value.RotateConfidence.ToString(CultureInfo.InvariantCulture)];
        arguments.Add(mode switch
        {
            ArchiveOcrMode.ForceOcr => "--force-ocr",
            ArchiveOcrMode.RedoOcr => "--redo-ocr",
            _ => "--skip-text",
        });
        if (mode != ArchiveOcrMode.RedoOcr && ocr.Value.Deskew) arguments.Add("--deskew");
        if (imageDpi) arguments.AddRange(["--image-dpi", ocr.Value.Dpi.ToString(CultureInfo.InvariantCulture)]);
        arguments.AddRange([inputPath, outputPath]);
        return arguments;
    }

    private Task<ToolRun> RunAsync(List<string> arguments, CancellationToken cancellationToken)
    {
        var limits = isolation.Value is { Enabled: true } caps
            ? new ToolLimits((long)caps.ToolAddressSpaceMiB * 1024 * 1024, caps.ToolCpuSeconds, caps.PrlimitPath)
            : null;
        // OCRmyPDF hands tesseract no --tessdata-dir; tesseract reads the same place from its environment.
        var environment = ocr.Value.TessdataPath is { Length: > 0 } tessdata ? new Dictionary<string, string?> { ["TESSDATA_PREFIX"] = tessdata } : null;
        return ToolProcess.RunAsync(options.Value.OcrmypdfPath, arguments, TimeSpan.FromSeconds(options.Value.TimeoutSeconds), cancellationToken, limits, environment);
    }

    /// <summary>OCRmyPDF logs progress to stderr and its verdict last.</summary>
    private static string LastLine(string stderr)
    {
        var line = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? string.Empty;
        return line.Length <= 200 ? line : line[..200];
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "ocrmypdf refused the archive copy with exit code {ExitCode}: {Message}")]
    private static partial void LogRefused(ILogger logger, int exitCode, string message);
}
