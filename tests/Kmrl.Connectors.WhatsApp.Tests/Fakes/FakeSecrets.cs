using Kmrl.ServiceDefaults.Secrets;

namespace Kmrl.Connectors.WhatsApp.Tests.Fakes;

public sealed class FakeSecrets : ISecretProvider
{
    public const string AccessToken = FakeCloudApi.AccessToken;
    public const string AppSecret = "app-secret-for-tests";
    public const string VerifyToken = "kmrl-verify-token";

    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal)
    {
        ["whatsapp:access-token"] = AccessToken,
        ["whatsapp:app-secret"] = AppSecret,
        ["whatsapp:verify-token"] = VerifyToken,
    };

    public Task<string> GetSecretAsync(string name, CancellationToken cancellationToken) =>
        Task.FromResult(_values[name]);
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
