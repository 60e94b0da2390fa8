using System.Globalization;
using System.Text;
using System.Text.Json;
using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Model;

namespace Kmrl.DocumentApi.Processing.Isolation;

/// <summary>
/// What the service hands the extraction worker: the local copy to read, the settings to read it with, and the CPU
/// seconds this one document may use.
/// </summary>
public sealed record ExtractionWorkerRequest(
    string ContentPath, DocumentKind Kind, DocumentProcessingOptions Processing, OcrOptions Ocr, PdfToolOptions PdfTools,
    OfficeToolOptions OfficeTools, int CpuSeconds = 0);

/// <summary>
/// The worker's answer: the text (its pages in the pages file beside the answer, not in the JSON), or the named reason
/// the file cannot be read.
/// </summary>
public sealed record ExtractionWorkerResponse(ExtractedText? Text, string? Reason, string? Detail);

/// <summary>One job on the worker's standard input, one JSON object a line: where the request is and where the answer goes.</summary>
public sealed record ExtractionWorkerJob(string RequestPath, string ResultPath);

/// <summary>The worker's status codes, one per job (and its exit code once it ends); a signal is 128 + its number.</summary>
public static class ExtractionWorkerExit
{
    public const int Extracted = 0;
    public const int Failed = 1;
    public const int Unreadable = 2;
    public const int OutOfMemory = 3;

    /// <summary>
    /// The start of the line on the worker's standard output that ends a job; its status code and its peak resident
    /// memory for the job (KiB) follow.
    /// </summary>
    public const string DoneMarker = "kmrl-extract-done ";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static string PagesPath(string resultPath) => resultPath + ".pages";

    /// <summary>
    /// Pages are written as a stream, each its length in characters on a line and then its characters: one JSON
    /// string of a long text needs several times its size in one contiguous buffer (8 million characters passed a
    /// 160 MiB heap that the text itself fits in five times over).
    /// </summary>
    public static async Task WritePagesAsync(string path, IReadOnlyList<string> pages)
    {
        await using var writer = new StreamWriter(path, append: false, new UTF8Encoding(false), bufferSize: 65536);
        foreach (var page in pages)
        {
            await writer.WriteAsync(page.Length.ToString(CultureInfo.InvariantCulture));
            await writer.WriteAsync('\n');
            await writer.WriteAsync(page);
        }
    }

    public static async Task<IReadOnlyList<string>> ReadPagesAsync(string path, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(path, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: false, bufferSize: 65536);
        var pages = new List<string>();
        while (await reader.ReadLineAsync(cancellationToken) is { } header)
        {
            var length = int.Parse(header, NumberStyles.None, CultureInfo.InvariantCulture);
            var page = new char[length];
            var read = await reader.ReadBlockAsync(page.AsMemory(), cancellationToken);
            if (read != length) throw new InvalidDataException("The extraction worker's pages file is cut short.");
            pages.Add(new string(page));
        }
        return pages;
    }
}
