using System.Buffers;
using System.Security.Cryptography;

namespace Kmrl.Connectors.WhatsApp.Webhooks;

/// <summary>Meta's <c>X-Hub-Signature-256: sha256=&lt;hex HMAC-SHA256(raw body, app secret)&gt;</c>.</summary>
public static class WebhookSignature
{
    public const string HeaderName = "X-Hub-Signature-256";
    private const string Prefix = "sha256=";
    private const int HashBytes = 32;

    public static string Compute(ReadOnlySpan<byte> body, ReadOnlySpan<byte> appSecret) =>
        Prefix + Convert.ToHexStringLower(HMACSHA256.HashData(appSecret, body));

    /// <summary>True only for a well-formed header whose HMAC matches; compared in constant time.</summary>
    public static bool IsValid(ReadOnlySpan<byte> body, string? header, ReadOnlySpan<byte> appSecret)
    {
        if (header is null || !header.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }
        var hex = header.AsSpan(Prefix.Length).Trim();
        if (hex.Length != HashBytes * 2)
        {
            return false;
        }
        Span<byte> given = stackalloc byte[HashBytes];
        if (Convert.FromHexString(hex, given, out _, out var written) != OperationStatus.Done || written != HashBytes)
        {
            return false;
        }
        Span<byte> expected = stackalloc byte[HashBytes];
        HMACSHA256.HashData(appSecret, body, expected);
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }
}
