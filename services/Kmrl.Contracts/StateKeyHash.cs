using System.Security.Cryptography;
using System.Text;

namespace Kmrl.Contracts;

/// <summary>
/// A source name or id made safe for a Dapr state key: any character it holds ('||' is daprd's own key separator and
/// is refused) and any length become 32 hex characters. Shared by the connector host and the catalog.
/// </summary>
public static class StateKeyHash
{
    public static string Of(string value) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)).AsSpan(0, 16));
}
