namespace Kmrl.Reliability.Tests.BadInput;

/// <summary>
/// One bad-input case against <c>POST /documents</c>: either an HTTP request or raw request bytes (for what HttpClient
/// will not send), and the named outcome the service is designed to give.
/// </summary>
/// <param name="ReportName">Append the file name the catalog stored to the outcome (cases about file names).</param>
/// <param name="Timeout">How long the case may take end to end, when longer than the table's default.</param>
public sealed record UploadCase(
    string Name,
    string Expected,
    Func<HttpRequestMessage>? Request = null,
    Func<Uri, byte[]>? RawRequest = null,
    bool ReportName = false,
    TimeSpan? Timeout = null);
