using System.Globalization;
using System.Text.RegularExpressions;
using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Model;
using Kmrl.DocumentApi.Ports;
using Kmrl.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace Kmrl.DocumentApi.Adapters;

/// <summary>
/// poppler's <c>pdfinfo</c>/<c>pdftotext</c> and <c>qpdf</c> as CLIs. The page count comes from pdfinfo, not from
/// counting pdftotext's form feeds: a page's own text may hold a form feed, and then the file is read page by page.
/// </summary>
public sealed partial class PopplerQpdfTools(IOptions<PdfToolOptions> options, ILogger<PopplerQpdfTools> logger) : IPdfTools
{
    private readonly PdfToolOptions _options = options.Value;

    private TimeSpan Timeout => TimeSpan.FromSeconds(_options.TimeoutSeconds);

    public async Task<IReadOnlyList<string>?> ReadPagesAsync(string pdfPath, CancellationToken cancellationToken)
    {
        var info = await ToolProcess.RunAsync(_options.PdfinfoPath, [pdfPath], Timeout, cancellationToken);
        if (info.ExitCode != 0)
        {
            ThrowIfPasswordNeeded(info);
            LogToolRefused(logger, _options.PdfinfoPath, info.ExitCode, ToolProcess.FirstLine(info.Stderr));
            return null;
        }
        if (PagesLine().Match(info.Stdout) is not { Success: true } match) return null;
        var count = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);

        var whole = await PdfToTextAsync(pdfPath, null, cancellationToken);
        if (whole is null) return null;
        // pdftotext ends every page with a form feed.
        var pages = whole.Split('\f');
        if (pages.Length == count + 1 && pages[^1].Trim().Length == 0) return pages[..count];

        var byPage = new List<string>(count);
        for (var page = 1; page <= count; page++)
        {
            byPage.Add((await PdfToTextAsync(pdfPath, page, cancellationToken) ?? string.Empty).Replace('\f', '\n'));
        }
        return byPage;
    }

    private async Task<string?> PdfToTextAsync(string pdfPath, int? page, CancellationToken cancellationToken)
    {
        List<string> arguments = ["-enc", "UTF-8"];
        if (page is { } number)
        {
            var text = number.ToString(CultureInfo.InvariantCulture);
            arguments.AddRange(["-f", text, "-l", text]);
        }
        arguments.AddRange([pdfPath, "-"]);
        var run = await ToolProcess.RunAsync(_options.PdftotextPath, arguments, Timeout, cancellationToken);
        if (run.ExitCode == 0) return run.Stdout;
        ThrowIfPasswordNeeded(run);
        LogToolRefused(logger, _options.PdftotextPath, run.ExitCode, ToolProcess.FirstLine(run.Stderr));
        return null;
    }

    private static void ThrowIfPasswordNeeded(ToolRun run)
    {
        if (run.Stderr.Contains("Incorrect password", StringComparison.OrdinalIgnoreCase))
        {
            throw new DocumentUnreadableException(RejectionReasons.EncryptedPdf, "The PDF needs a user password to open.");
        }
    }

    public async Task<PdfPasswordNeed> PasswordNeedAsync(string pdfPath, CancellationToken cancellationToken)
    {
        // qpdf's documented exit codes for --requires-password: 0 a password is needed, 2 not encrypted, 3 encrypted
        // without a user password.
        var run = await ToolProcess.RunAsync(_options.QpdfPath, ["--requires-password", pdfPath], Timeout, cancellationToken);
        return run.ExitCode switch
        {
            0 => PdfPasswordNeed.Required,
            2 when run.Stderr.Length == 0 => PdfPasswordNeed.NotEncrypted,
            3 => PdfPasswordNeed.NotRequired,
            _ => PdfPasswordNeed.Unknown,
        };
    }

    public async Task<IReadOnlyList<string>> UnmappedFontsAsync(string pdfPath, int? page, CancellationToken cancellationToken)
    {
        List<string> arguments = [];
        if (page is { } number)
        {
            var text = number.ToString(CultureInfo.InvariantCulture);
            arguments.AddRange(["-f", text, "-l", text]);
        }
        arguments.Add(pdfPath);
        var run = await ToolProcess.RunAsync(_options.PdffontsPath, arguments, Timeout, cancellationToken);
        if (run.ExitCode != 0)
        {
            LogToolRefused(logger, _options.PdffontsPath, run.ExitCode, ToolProcess.FirstLine(run.Stderr));
            return [];
        }
        return ParseUnmappedFonts(run.Stdout);
    }

    /// <summary>
    /// pdffonts' table, read from the right (the type "Type 1C" and "CID TrueType" hold spaces): emb, sub, uni, object
    /// number, generation. A font that is not embedded is a standard one the reader decodes by name.
    /// </summary>
    internal static IReadOnlyList<string> ParseUnmappedFonts(string table)
    {
        var fonts = new List<string>();
        foreach (var line in table.Split('\n').Skip(2))
        {
            var columns = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (columns.Length < 6) continue;
            if (columns[^5] == "yes" && columns[^3] == "no" && !fonts.Contains(columns[0])) fonts.Add(columns[0]);
        }
        return fonts;
    }

    public async Task<bool> DecryptAsync(string pdfPath, string outputPath, CancellationToken cancellationToken)
    {
        var run = await ToolProcess.RunAsync(_options.QpdfPath, ["--decrypt", pdfPath, outputPath], Timeout, cancellationToken);
        // 3 is "succeeded with warnings" (qpdf repaired something on the way).
        if (run.ExitCode is 0 or 3 && File.Exists(outputPath)) return true;
        LogToolRefused(logger, _options.QpdfPath, run.ExitCode, ToolProcess.FirstLine(run.Stderr));
        return false;
    }

    [GeneratedRegex(@"^Pages:\s+(\d+)\s*$", RegexOptions.Multiline, RegexBudget.MatchTimeoutMilliseconds)]
    private static partial Regex PagesLine();

    [LoggerMessage(Level = LogLevel.Information, Message = "PDF tool {Tool} refused the file with exit code {ExitCode}: {Message}")]
    private static partial void LogToolRefused(ILogger logger, string tool, int exitCode, string message);
}
