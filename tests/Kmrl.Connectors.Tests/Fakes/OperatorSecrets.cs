using Kmrl.BuildingBlocks.Secrets;
using Kmrl.Contracts;

namespace Kmrl.Connectors.Tests.Fakes;

/// <summary>The connector's operator keys as the secret store would hold them (secret <c>connector-operator-keys</c>).</summary>
public sealed class OperatorSecrets : ISecretProvider
{
    public const string OperatorKey = "op-7Hq2Zk9Rw4Tn6Vb1Xc3Lm8Pd";
    public const string ReaderKey = "rd-5Gs8Jf2Kq9Wx4Zn7Bv1Hc6Tm";
    public const string PlaceholderKey = "replace-with-a-long-random-key";
    public const string AppApiToken = "app-token-3Nf8Qw2Lx7Zr5Kd9";

    public Dictionary<string, string> Keys { get; } = new(StringComparer.Ordinal)
    {
        ["ops"] = OperatorKey + ";operator",
        ["portal"] = ReaderKey + ";read",
        ["sample"] = PlaceholderKey + ";operator",
    };

    public Task<string> GetSecretAsync(string name, string key, CancellationToken cancellationToken) =>
        throw new SecretNotFoundException(name, key, "test");

    public Task<IReadOnlyDictionary<string, string>> GetSecretValuesAsync(string name, CancellationToken cancellationToken) =>
        name == DaprNames.Secrets.ConnectorOperatorKeys
            ? Task.FromResult<IReadOnlyDictionary<string, string>>(new Dictionary<string, string>(Keys))
            : throw new SecretNotFoundException(name, key: null, "test");
}
