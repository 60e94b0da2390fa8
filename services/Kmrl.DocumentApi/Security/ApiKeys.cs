using System.Security.Cryptography;
using System.Text;
using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Ports;
using Microsoft.Extensions.Options;

namespace Kmrl.DocumentApi.Security;

public static class ApiRoles
{
    public const string Upload = "upload";
    public const string Read = "read";
}

public sealed record ApiClient(string Name, IReadOnlySet<string> Roles);

/// <summary>Finds the client an API key belongs to.</summary>
public interface IApiKeyStore
{
    Task<ApiClient?> FindAsync(string presentedKey, CancellationToken cancellationToken);
}

/// <summary>
/// API keys from the secret store: "document-api:api-keys:&lt;client&gt;" = "key;upload,read". Cached for a few
/// minutes, so a rotated key is picked up without a restart and the store is not read per request.
/// </summary>
public sealed class SecretStoreApiKeyStore(ISecretProvider secrets, TimeProvider time, IOptions<ApiSecurityOptions> options) : IApiKeyStore
{
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private IReadOnlyList<(byte[] KeyHash, ApiClient Client)> _clients = [];
    private DateTimeOffset _loadedAt = DateTimeOffset.MinValue;

    public async Task<ApiClient?> FindAsync(string presentedKey, CancellationToken cancellationToken)
    {
        var clients = await ClientsAsync(cancellationToken);
        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(presentedKey));
        ApiClient? found = null;
        foreach (var (keyHash, client) in clients)
        {
            // Fixed-time comparison of hashes: no timing hint about how much of a key was right.
            if (CryptographicOperations.FixedTimeEquals(keyHash, presented)) found = client;
        }
        return found;
    }

    public static IReadOnlyList<(byte[] KeyHash, ApiClient Client)> Parse(IReadOnlyDictionary<string, string> secrets, string prefix) =>
        secrets
            .Where(s => s.Key.StartsWith(prefix, StringComparison.Ordinal) && s.Key.Length > prefix.Length)
            .Select(s =>
            {
                var parts = s.Value.Split(';', 2);
                var roles = parts.Length > 1
                    ? parts[1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.OrdinalIgnoreCase)
                    : new HashSet<string>(StringComparer.OrdinalIgnoreCase);
                return (Key: parts[0].Trim(), Client: new ApiClient(s.Key[prefix.Length..], roles));
            })
            // A key shorter than 16 characters is a placeholder or a mistake, not a credential.
            .Where(c => c.Key.Length >= 16)
            .Select(c => (SHA256.HashData(Encoding.UTF8.GetBytes(c.Key)), c.Client))
            .ToList();

    private async Task<IReadOnlyList<(byte[] KeyHash, ApiClient Client)>> ClientsAsync(CancellationToken cancellationToken)
    {
        var ttl = TimeSpan.FromSeconds(options.Value.ApiKeyCacheSeconds);
        if (time.GetUtcNow() - _loadedAt < ttl) return _clients;
        await _refresh.WaitAsync(cancellationToken);
        try
        {
            if (time.GetUtcNow() - _loadedAt < ttl) return _clients;
            _clients = Parse(await secrets.GetAllAsync(cancellationToken), options.Value.ApiKeySecretPrefix);
            _loadedAt = time.GetUtcNow();
            return _clients;
        }
        finally
        {
            _refresh.Release();
        }
    }
}
