using Kmrl.DocumentApi.Model;

namespace Kmrl.DocumentApi.Ports;

/// <summary>
/// A failure that cannot heal by trying again (the file is corrupt, needs a password, or a tool it needs is not
/// installed): the extract activity turns it into a rejection with a named reason instead of letting the
/// workflow's retry policy run it four times.
/// </summary>
public class DocumentUnreadableException(string reason, string detail) : Exception($"{reason}: {detail}")
{
    /// <summary>One of <c>RejectionReasons</c>.</summary>
    public string Reason { get; } = reason;

    public string Detail { get; } = detail;
}

/// <summary>A command-line tool the document needs is not on this machine.</summary>
public sealed class ToolNotInstalledException(string tool)
    : DocumentUnreadableException(RejectionReasons.ToolMissing, $"{tool} is not installed ({PackageOf(tool)}).")
{
    public string Tool { get; } = tool;

    private static string PackageOf(string tool) => tool switch
    {
        "pdftotext" or "pdftoppm" or "pdfinfo" or "pdffonts" => "Debian poppler-utils",
        "convert" => "Debian imagemagick",
        "qpdf" => "Debian qpdf",
        "prlimit" => "Debian util-linux",
        "tesseract" => "Debian tesseract-ocr",
        "soffice" => "Debian libreoffice-writer-nogui, libreoffice-calc-nogui, libreoffice-impress-nogui",
        "msgconvert" => "Debian libemail-outlook-message-perl",
        "ocrmypdf" => "Debian ocrmypdf",
        _ => "see the document-api README",
    };
}

/// <summary>A command-line tool ran and refused the input (a nonzero exit that is about the file, not the machine).</summary>
public class ToolFailedException(string tool, int exitCode, string message)
    : Exception($"{tool} exited with {exitCode}: {message}")
{
    public string Tool { get; } = tool;

    public int ExitCode { get; } = exitCode;

    public string ToolMessage { get; } = message;
}
