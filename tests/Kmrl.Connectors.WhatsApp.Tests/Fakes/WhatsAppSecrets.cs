using Kmrl.Connectors.Testing;

namespace Kmrl.Connectors.WhatsApp.Tests.Fakes;

/// <summary>The one secret the connector reads by default, <c>whatsapp</c> with its three keys, in the kit's secret store.</summary>
public static class WhatsAppSecrets
{
    public const string AccessToken = FakeCloudApi.AccessToken;
    public const string AppSecret = "app-secret-for-tests";
    public const string VerifyToken = "kmrl-verify-token";

    public static InMemorySecrets Create() => new InMemorySecrets()
        .Set("whatsapp", "access-token", AccessToken)
        .Set("whatsapp", "app-secret", AppSecret)
        .Set("whatsapp", "verify-token", VerifyToken);
}
