using System.Security.Cryptography;
using System.Text;

namespace Kmrl.Contracts;

/// <summary>
/// The key that makes redelivery harmless: the same content from the same source item maps to the same key,
/// and so to the same workflow instance id.
/// </summary>
public static class IdempotencyKey
{
    public static string For(string source, string sourceId, string sha256)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(source);
        ArgumentException.ThrowIfNullOrWhiteSpace(sourceId);
        ArgumentException.ThrowIfNullOrWhiteSpace(sha256);
        // Length-prefixed parts, so ("a:b", "c") and ("a", "b:c") cannot collide.
        var material = $"{source.Length}:{source}|{sourceId.Length}:{sourceId}|{sha256.ToLowerInvariant()}";
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(material));
        return Convert.ToHexStringLower(hash);
    }
}
