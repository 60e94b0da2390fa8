using System.Text;

namespace Kmrl.Dapr.Testing.Runtime;

/// <summary>
/// Go's <c>strconv.Unquote</c> and <c>base64.StdEncoding.DecodeString</c>, as far as the blob bindings' create
/// heuristics depend on them (Go standard library: strconv/quote.go, encoding/base64/base64.go). Our own code.
/// </summary>
public static class GoDecoding
{
    /// <summary>What localstorage <c>create</c> writes for <paramref name="data"/>: unquoted if it is a Go string literal, then base64-decoded if it is base64.</summary>
    public static byte[] AsLocalStorageStoresIt(byte[] data)
    {
        if (TryUnquote(data, out var unquoted))
        {
            data = unquoted;
        }
        return TryDecodeBase64(data, out var decoded) ? decoded : data;
    }

    /// <summary>
    /// base64.StdEncoding.DecodeString: the standard alphabet with '=' padding; '\r' and '\n' are skipped wherever
    /// they are; anything else outside the alphabet fails. The empty string decodes to nothing.
    /// </summary>
    public static bool TryDecodeBase64(byte[] data, out byte[] decoded)
    {
        decoded = [];
        var text = new StringBuilder(data.Length);
        foreach (var b in data)
        {
            if (b is (byte)'\r' or (byte)'\n')
            {
                continue;
            }
            if (!(char.IsAsciiLetterOrDigit((char)b) || b is (byte)'+' or (byte)'/' or (byte)'='))
            {
                return false;
            }
            text.Append((char)b);
        }
        if (text.Length % 4 != 0)
        {
            return false;
        }
        var buffer = new byte[text.Length / 4 * 3];
        // Go's non-strict decoder, like .NET's, ignores the unused bits of the last quantum; both want '=' at the end only.
        if (!Convert.TryFromBase64Chars(text.ToString(), buffer, out var written))
        {
            return false;
        }
        decoded = buffer[..written];
        return true;
    }

    /// <summary>
    /// strconv.Unquote: a double-quoted string with Go escapes, a single-quoted character, or a back-quoted raw string
    /// (carriage returns dropped). Invalid UTF-8 inside an escaped string becomes U+FFFD, as Go's decoder makes it.
    /// </summary>
    public static bool TryUnquote(byte[] data, out byte[] result)
    {
        result = [];
        if (data.Length < 2 || data[0] != data[^1])
        {
            return false;
        }
        var quote = data[0];
        var body = data.AsSpan(1, data.Length - 2);
        if (quote == (byte)'`')
        {
            if (body.Contains((byte)'`'))
            {
                return false;
            }
            result = body.ToArray().Where(b => b != (byte)'\r').ToArray();
            return true;
        }
        if (quote is not ((byte)'"' or (byte)'\''))
        {
            return false;
        }
        // Go's fast path (no escapes) gives the same result as the general one below.
        return TryUnquoteEscaped(body, quote, out result);
    }

    private static bool TryUnquoteEscaped(ReadOnlySpan<byte> body, byte quote, out byte[] result)
    {
        result = [];
        var output = new List<byte>(body.Length);
        var characters = 0;
        var i = 0;
        while (i < body.Length)
        {
            var c = body[i];
            if (c == quote || c == (byte)'\n')
            {
                return false;
            }
            if (c != (byte)'\\')
            {
                if (c < 0x80)
                {
                    output.Add(c);
                    i++;
                }
                else
                {
                    var length = RuneLength(body[i..]);
                    if (length == 0)
                    {
                        output.AddRange("\uFFFD"u8.ToArray());
                        i++;
                    }
                    else
                    {
                        output.AddRange(body.Slice(i, length).ToArray());
                        i += length;
                    }
                }
                characters++;
                if (quote == (byte)'\'' && characters > 1)
                {
                    return false;
                }
                continue;
            }
            if (i + 1 >= body.Length)
            {
                return false;
            }
            var escape = body[i + 1];
            i += 2;
            switch (escape)
            {
                case (byte)'a': output.Add(0x07); break;
                case (byte)'b': output.Add(0x08); break;
                case (byte)'f': output.Add(0x0C); break;
                case (byte)'n': output.Add(0x0A); break;
                case (byte)'r': output.Add(0x0D); break;
                case (byte)'t': output.Add(0x09); break;
                case (byte)'v': output.Add(0x0B); break;
                case (byte)'\\': output.Add((byte)'\\'); break;
                case (byte)'\'' or (byte)'"':
                    if (escape != quote)
                    {
                        return false;
                    }
                    output.Add(escape);
                    break;
                case (byte)'x':
                    if (!TryHex(body, i, 2, out var hexByte))
                    {
                        return false;
                    }
                    output.Add((byte)hexByte);
                    i += 2;
                    break;
                case >= (byte)'0' and <= (byte)'7':
                    if (i + 2 > body.Length)
                    {
                        return false;
                    }
                    var octal = escape - '0';
                    for (var k = 0; k < 2; k++)
                    {
                        var digit = body[i + k];
                        if (digit is < (byte)'0' or > (byte)'7')
                        {
                            return false;
                        }
                        octal = octal * 8 + (digit - '0');
                    }
                    if (octal > 255)
                    {
                        return false;
                    }
                    output.Add((byte)octal);
                    i += 2;
                    break;
                case (byte)'u' or (byte)'U':
                    var digits = escape == (byte)'u' ? 4 : 8;
                    if (!TryHex(body, i, digits, out var codePoint) || !Rune.IsValid(codePoint))
                    {
                        return false;
                    }
                    var rune = new Rune(codePoint);
                    var encoded = new byte[4];
                    var n = rune.EncodeToUtf8(encoded);
                    output.AddRange(encoded[..n]);
                    i += digits;
                    break;
                default:
                    return false;
            }
            characters++;
            if (quote == (byte)'\'' && characters > 1)
            {
                return false;
            }
        }
        if (quote == (byte)'\'' && characters != 1)
        {
            return false;
        }
        result = [.. output];
        return true;
    }

    private static bool TryHex(ReadOnlySpan<byte> body, int start, int count, out int value)
    {
        value = 0;
        if (start + count > body.Length)
        {
            return false;
        }
        for (var k = 0; k < count; k++)
        {
            var digit = body[start + k];
            int v = digit switch
            {
                >= (byte)'0' and <= (byte)'9' => digit - '0',
                >= (byte)'a' and <= (byte)'f' => digit - 'a' + 10,
                >= (byte)'A' and <= (byte)'F' => digit - 'A' + 10,
                _ => -1,
            };
            if (v < 0)
            {
                return false;
            }
            value = value * 16 + v;
        }
        return true;
    }

    // The length of the valid UTF-8 sequence at the start of the span, or 0 when it is not one.
    private static int RuneLength(ReadOnlySpan<byte> span) =>
        Rune.DecodeFromUtf8(span, out _, out var consumed) == System.Buffers.OperationStatus.Done ? consumed : 0;

    /// <summary>dapr/kit utils.IsTruthy, which the components' metadata decoder applies to booleans: y, yes, true, t, on, 1 (any case, trimmed).</summary>
    public static bool IsTruthy(string? value) =>
        value?.Trim().ToLowerInvariant() is "y" or "yes" or "true" or "t" or "on" or "1";
}
