using Kmrl.BuildingBlocks.Secrets;

namespace Kmrl.Connectors.WhatsApp.Tests.Fakes;

public sealed class FakeSecrets : ISecretProvider
{
    public const string AccessToken = FakeCloudApi.AccessToken;
    public const string AppSecret = "app-secret-for-tests";
    public const string VerifyToken = "kmrl-verify-token";

    /// <summary>The one secret the connector reads by default: <c>whatsapp</c> with its three keys.</summary>
    private readonly Dictionary<string, Dictionary<string, string>> _secrets = new(StringComparer.Ordinal)
    {
        ["whatsapp"] = new(StringComparer.Ordinal)
        {
            ["access-token"] = AccessToken,
            ["app-secret"] = AppSecret,
            ["verify-token"] = VerifyToken,
        },
    };

    public Task<string> GetSecretAsync(string name, string key, CancellationToken cancellationToken) =>
        _secrets.TryGetValue(name, out var values) && values.TryGetValue(key, out var value)
            ? Task.FromResult(value)
            : throw new SecretNotFoundException(name, key, "fake");

    public Task<IReadOnlyDictionary<string, string>> GetSecretValuesAsync(string name, CancellationToken cancellationToken) =>
        _secrets.TryGetValue(name, out var values)
            ? Task.FromResult<IReadOnlyDictionary<string, string>>(values)
            : throw new SecretNotFoundException(name, key: null, "fake");
}

public sealed class RecordingSyncRequests : ISyncRequests
{
    private readonly List<string> _requests = [];

    public IReadOnlyList<string> Requests
    {
        get { lock (_requests) { return _requests.ToList(); } }
    }

    public void Request(string sourceName)
    {
        lock (_requests)
        {
            _requests.Add(sourceName);
        }
    }
}
