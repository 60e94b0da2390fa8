namespace Kmrl.Connectors.Maximo.Ftp;

/// <summary>A complete (possibly multi-line) FTP reply: the code and every line of text.</summary>
public sealed record FtpReply(int Code, IReadOnlyList<string> Lines)
{
    public bool IsPositivePreliminary => Code is >= 100 and < 200;
    public bool IsPositiveCompletion => Code is >= 200 and < 300;
    public bool IsPositiveIntermediate => Code is >= 300 and < 400;

    /// <summary>The text of the last line after the code.</summary>
    public string Message => Lines.Count == 0 ? string.Empty : Lines[^1].Length > 4 ? Lines[^1][4..] : string.Empty;

    public override string ToString() => string.Join(" | ", Lines);
}

/// <summary>The server answered with a code the operation does not accept.</summary>
public sealed class FtpCommandException(string command, FtpReply reply)
    : IOException($"FTP command '{command}' failed: {reply}"), ISourceFailureKind
{
    public FtpReply Reply { get; } = reply;

    /// <summary>5xx: retrying the same command will not help (no such file, not supported, refused).</summary>
    public bool IsPermanent => Reply.Code is >= 500 and < 600;
}

/// <summary>The server cut the listing short (e.g. pure-ftpd's <c>-L</c> limit): the folder holds more than was listed.</summary>
public sealed class FtpListingTruncatedException(string folder, int listed, FtpReply reply)
    : IOException($"The FTP server truncated the listing of {folder} after {listed} entries ({reply}); raise its listing limit or archive handed files.")
{
    public int Listed { get; } = listed;
}
