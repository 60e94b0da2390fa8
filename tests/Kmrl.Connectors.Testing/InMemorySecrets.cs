using Kmrl.BuildingBlocks.Secrets;

namespace Kmrl.Connectors.Testing;

/// <summary>
/// Secrets as the store holds them: a name with keys. A missing secret, a missing key and an empty value fail with
/// <see cref="SecretNotFoundException"/>, as the Dapr provider does. <see cref="Set"/> changes a value between runs
/// (a rotated password).
/// </summary>
public sealed class InMemorySecrets : ISecretProvider
{
    private readonly Dictionary<string, Dictionary<string, string>> _secrets = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public InMemorySecrets()
    {
    }

    public InMemorySecrets(IReadOnlyDictionary<string, Dictionary<string, string>> secrets)
    {
        foreach (var (name, values) in secrets)
        {
            _secrets[name] = new Dictionary<string, string>(values, StringComparer.Ordinal);
        }
    }

    public static InMemorySecrets One(string name, string key, string value) => new InMemorySecrets().Set(name, key, value);

    public InMemorySecrets Set(string name, string key, string value)
    {
        lock (_gate)
        {
            if (!_secrets.TryGetValue(name, out var values))
            {
                _secrets[name] = values = new Dictionary<string, string>(StringComparer.Ordinal);
            }
            values[key] = value;
        }
        return this;
    }

    public Task<string> GetSecretAsync(string name, string key, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return _secrets.TryGetValue(name, out var values) && values.TryGetValue(key, out var value) && value.Length > 0
                ? Task.FromResult(value)
                : throw new SecretNotFoundException(name, key, "in-memory");
        }
    }

    public Task<IReadOnlyDictionary<string, string>> GetSecretValuesAsync(string name, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return _secrets.TryGetValue(name, out var values)
                ? Task.FromResult<IReadOnlyDictionary<string, string>>(new Dictionary<string, string>(values, StringComparer.Ordinal))
                : throw new SecretNotFoundException(name, key: null, "in-memory");
        }
    }
}
