namespace Kmrl.DocumentApi.Processing;

/// <summary>
/// Whether bytes begin like an Internet message (RFC 5322): a block of header fields (a name of printable ASCII
/// without a colon, then ':'), folded continuation lines starting with white space, up to an empty line. Judged on the
/// bytes, not on decoded text, so 8-bit header values, a Latin-1 body or an ISO-2022-JP body (escape sequences) do not
/// make a message look like binary. An mbox "From " separator line first is allowed, as mail exports write it.
/// </summary>
public static class MailHeaderBlock
{
    private static readonly string[] KnownHeaders =
        ["from", "to", "cc", "subject", "date", "received", "return-path", "message-id", "mime-version", "delivered-to", "reply-to",
         "content-type", "x-mailer", "dkim-signature", "authentication-results", "sender", "in-reply-to", "references"];

    /// <param name="head">The first bytes of the file.</param>
    /// <param name="truncated">The head is a window on a longer file: a last line without its end is not judged.</param>
    public static bool LooksLikeMail(ReadOnlySpan<byte> head, bool truncated)
    {
        if (head.IndexOf((byte)0) >= 0) return false;
        var known = 0;
        var fields = 0;
        var first = true;
        while (head.Length > 0)
        {
            var newline = head.IndexOf((byte)'\n');
            if (newline < 0 && truncated) break;
            var line = newline < 0 ? head : head[..newline];
            head = newline < 0 ? [] : head[(newline + 1)..];
            if (line.Length > 0 && line[^1] == '\r') line = line[..^1];
            if (line.Length == 0) break; // the end of the header block
            if (first && line.StartsWith("From "u8))
            {
                first = false;
                continue;
            }
            if (line[0] is (byte)' ' or (byte)'\t')
            {
                if (fields == 0) return false;
                continue;
            }
            var colon = line.IndexOf((byte)':');
            if (colon <= 0) return false;
            foreach (var b in line[..colon])
            {
                if (b is < 33 or > 126) return false;
            }
            fields++;
            first = false;
            var name = System.Text.Encoding.ASCII.GetString(line[..colon]);
            if (KnownHeaders.Contains(name, StringComparer.OrdinalIgnoreCase)) known++;
        }
        return known >= 2 && fields >= 2;
    }
}
