using System.Buffers;

namespace Kmrl.Connectors.WhatsApp.Media;

/// <summary>
/// Reads the <c>sha256</c> WhatsApp announces. Meta's webhook and media-URL examples show 64 hex digits; older
/// payloads and several client libraries carry base64 of the 32 bytes. Both are accepted.
/// </summary>
public static class MediaHash
{
    public static byte[]? TryParse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }
        var text = value.Trim();
        var bytes = new byte[32];
        if (text.Length == 64 && Convert.FromHexString(text, bytes, out _, out var written) == OperationStatus.Done && written == 32)
        {
            return bytes;
        }
        return Convert.TryFromBase64String(text, bytes, out written) && written == 32 ? bytes : null;
    }
}
