namespace Kmrl.Contracts;

/// <summary>
/// The declared content types the pipeline reads: the connectors' default filter and the upload's allow-list both
/// start from this one list, so a format the pipeline learns to read is accepted from every source at once.
/// </summary>
public static class DocumentContentTypes
{
    public static readonly IReadOnlyList<string> Readable =
    [
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/msword",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.ms-powerpoint",
        "image/jpeg",
        "image/png",
        "image/tiff",
        "text/plain",
        "text/csv",
        "message/rfc822",
        "application/vnd.ms-outlook",
        "application/rtf",
        "text/rtf",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/vnd.oasis.opendocument.presentation",
    ];
}
