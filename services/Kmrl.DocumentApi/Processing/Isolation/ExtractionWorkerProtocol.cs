using System.Text.Json;
using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Model;

namespace Kmrl.DocumentApi.Processing.Isolation;

/// <summary>What the service hands the extraction worker: the local copy to read and the settings to read it with.</summary>
public sealed record ExtractionWorkerRequest(
    string ContentPath, DocumentKind Kind, DocumentProcessingOptions Processing, OcrOptions Ocr, PdfToolOptions PdfTools,
    OfficeToolOptions OfficeTools);

/// <summary>The worker's answer: the text, or the named reason the file cannot be read.</summary>
public sealed record ExtractionWorkerResponse(ExtractedText? Text, string? Reason, string? Detail);

/// <summary>The worker's exit codes; anything else is a crash (a signal is 128 + its number).</summary>
public static class ExtractionWorkerExit
{
    public const int Extracted = 0;
    public const int Failed = 1;
    public const int Unreadable = 2;
    public const int OutOfMemory = 3;

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
}
