using System.Security.Cryptography;
using System.Text;
using Kmrl.BuildingBlocks.Secrets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kmrl.ServiceDefaults.Security;

public sealed record ApiClient(string Name, IReadOnlySet<string> Roles);

/// <summary>Finds the client an API key belongs to.</summary>
public interface IApiKeyStore
{
    Task<ApiClient?> FindAsync(string presentedKey, CancellationToken cancellationToken);
}

/// <summary>
/// API keys from one secret (<see cref="ApiSecurityOptions.ApiKeysSecret"/>): each key of it is a client, its value
/// "key;role,role". Read with GetSecret, never BulkGet, which on Kubernetes would hand this app every Secret of the
/// namespace. Cached for a few minutes, so a rotated key is picked up without a restart and the store is not read per
/// request. A missing secret means no clients (every request 401) and is asked again on the next request, after the
/// secret provider's short negative cache. A placeholder or guessable key is refused and logged as an error, naming
/// the client and never the key.
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

    /// <summary>Reads the keys now, so a refused key is reported when the app starts rather than at the first request.</summary>
    public Task LoadAsync(CancellationToken cancellationToken) => ClientsAsync(cancellationToken);

    /// <summary>One client per key of the secret: the key is the client's name, the value "key;role,role". Weak keys are left out.</summary>
    public static IReadOnlyList<(byte[] KeyHash, ApiClient Client)> Parse(IReadOnlyDictionary<string, string> secret) =>
        Parse(secret, (_, _) => { });

    private static IReadOnlyList<(byte[] KeyHash, ApiClient Client)> Parse(IReadOnlyDictionary<string, string> secret, Action<string, string> refused)
    {
        var clients = new List<(byte[], ApiClient)>();
        foreach (var (name, value) in secret)
        {
            var parts = value.Split(';', 2);
            var key = parts[0].Trim();
            var roles = parts.Length > 1
                ? parts[1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.OrdinalIgnoreCase)
                : new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            if (ApiKeyStrength.Weakness(key) is { } weakness)
            {
                refused(name, weakness);
                continue;
            }
            clients.Add((SHA256.HashData(Encoding.UTF8.GetBytes(key)), new ApiClient(name, roles)));
        }
        return clients;
    }

    private async Task<IReadOnlyList<(byte[] KeyHash, ApiClient Client)>> ClientsAsync(CancellationToken cancellationToken)
    {
        if (time.GetUtcNow() < _validUntil) return _clients;
        await _refresh.WaitAsync(cancellationToken);
        try
        {
            if (time.GetUtcNow() < _validUntil) return _clients;
            var secret = options.Value.ApiKeysSecret;
            try
            {
                _clients = Parse(await secrets.GetSecretValuesAsync(secret, cancellationToken),
                    (client, weakness) => LogWeakKey(secret, client, weakness));
                _validUntil = time.GetUtcNow() + TimeSpan.FromSeconds(options.Value.ApiKeyCacheSeconds);
            }
            catch (SecretNotFoundException exception)
            {
                LogNoApiKeys(exception, secret);
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

    [LoggerMessage(Level = LogLevel.Error, Message = "API key of client {Client} in secret {Secret} refused: {Weakness}. Generate one with `openssl rand -base64 32` and store it as \"<key>;<roles>\"")]
    private partial void LogWeakKey(string secret, string client, string weakness);
}

/// <summary>
/// Refuses keys that are placeholders or too guessable to be credentials: shorter than 16 characters, a placeholder
/// word of the example secrets file, or below 64 bits by the key's own character statistics (a 16-byte random key
/// in base64 or hex has well over 64).
/// </summary>
public static class ApiKeyStrength
{
    public const int MinLength = 16;
    public const double MinEntropyBits = 64;

    private static readonly string[] PlaceholderWords = ["replace", "changeme", "change-me", "example", "placeholder", "password", "secret", "your-key", "todo"];

    /// <summary>Why <paramref name="key"/> is not a credential, or null when it is acceptable.</summary>
    public static string? Weakness(string key)
    {
        if (key.Length < MinLength)
        {
            return $"shorter than {MinLength} characters";
        }
        if (PlaceholderWords.FirstOrDefault(w => key.Contains(w, StringComparison.OrdinalIgnoreCase)) is { } word)
        {
            return $"it contains the placeholder word '{word}'";
        }
        var bits = EntropyBits(key);
        return bits < MinEntropyBits ? $"about {bits:F0} bits of entropy, below {MinEntropyBits:F0}" : null;
    }

    /// <summary>Shannon entropy of the key's characters times its length: an upper bound for a patterned key, close for a random one.</summary>
    public static double EntropyBits(string key)
    {
        var counts = key.GroupBy(c => c).Select(g => (double)g.Count());
        var perChar = -counts.Sum(n => n / key.Length * Math.Log2(n / key.Length));
        return perChar * key.Length;
    }
}
