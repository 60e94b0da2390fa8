using System.Security.Cryptography;
using System.Text;
using Kmrl.DocumentApi.Extensions;
using Kmrl.ServiceDefaults.Secrets;
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
/// API keys from one secret (<see cref="ApiSecurityOptions.ApiKeysSecret"/>): each key of it is a client, its value
/// "key;upload,read". Read with GetSecret, never BulkGet, which on Kubernetes would hand this app every Secret of the
/// namespace. Cached for a few minutes, so a rotated key is picked up without a restart and the store is not read per
/// request. A missing secret means no clients (every request 401) and is asked again on the next request, after the
/// secret provider's short negative cache.
/// </summary>
public sealed partial class SecretStoreApiKeyStore(
    ISecretProvider secrets, TimeProvider time, IOptions<ApiSecurityOptions> options, ILogger<SecretStoreApiKeyStore> logger) : IApiKeyStore
{
    /// <summary>How long a missing API-key secret is believed before it is asked for again.</summary>
    public static readonly TimeSpan MissingSecretRetry = TimeSpan.FromSeconds(10);

    private readonly SemaphoreSlim _refresh = new(1, 1);
    private IReadOnlyList<(byte[] KeyHash, ApiClient Client)> _clients = [];
    private DateTimeOffset _validUntil = DateTimeOffset.MinValue;

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

    /// <summary>One client per key of the secret: the key is the client's name, the value "key;role,role".</summary>
    public static IReadOnlyList<(byte[] KeyHash, ApiClient Client)> Parse(IReadOnlyDictionary<string, string> secret) =>
        secret
            .Select(s =>
            {
                var parts = s.Value.Split(';', 2);
                var roles = parts.Length > 1
                    ? parts[1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.OrdinalIgnoreCase)
                    : new HashSet<string>(StringComparer.OrdinalIgnoreCase);
                return (Key: parts[0].Trim(), Client: new ApiClient(s.Key, roles));
            })
            // A key shorter than 16 characters is a placeholder or a mistake, not a credential.
            .Where(c => c.Key.Length >= 16)
            .Select(c => (SHA256.HashData(Encoding.UTF8.GetBytes(c.Key)), c.Client))
            .ToList();

    private async Task<IReadOnlyList<(byte[] KeyHash, ApiClient Client)>> ClientsAsync(CancellationToken cancellationToken)
    {
        if (time.GetUtcNow() < _validUntil) return _clients;
        await _refresh.WaitAsync(cancellationToken);
        try
        {
            if (time.GetUtcNow() < _validUntil) return _clients;
            try
            {
                _clients = Parse(await secrets.GetSecretValuesAsync(options.Value.ApiKeysSecret, cancellationToken));
                _validUntil = time.GetUtcNow() + TimeSpan.FromSeconds(options.Value.ApiKeyCacheSeconds);
            }
            catch (SecretNotFoundException exception)
            {
                LogNoApiKeys(exception, options.Value.ApiKeysSecret);
                _clients = [];
                _validUntil = time.GetUtcNow() + MissingSecretRetry;
            }
            return _clients;
        }
        finally
        {
            _refresh.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "No API keys: the secret {Secret} cannot be read from the secret store, so every request is refused")]
    private partial void LogNoApiKeys(Exception exception, string secret);
}
