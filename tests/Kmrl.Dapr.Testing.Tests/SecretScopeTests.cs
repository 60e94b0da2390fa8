using Dapr;
using Dapr.Client;
using Kmrl.Testing.Servers;

namespace Kmrl.Dapr.Testing.Tests;

/// <summary>
/// Configuration <c>spec.secrets.scopes</c> as daprd applies them (dapr/dapr pkg/config/configuration.go
/// SecretsScope.IsSecretAllowed, pkg/api/universal/secrets.go): a refused GetSecret is PermissionDenied, a bulk read
/// leaves the refused secrets out.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class SecretScopeTests(RedisServer redis)
{
    private const string Scope = """
          secrets:
            scopes:
              - storeName: secretstore
                defaultAccess: deny
                allowedSecrets: ["whatsapp"]
          workflow:
        """;

    private static Task<DaprTestEnvironment> StartAsync(RedisServer redis, string scope) =>
        DaprTestEnvironment.StartAsync(redis, options =>
        {
            options.Secrets["whatsapp"] = new Dictionary<string, object> { ["app-secret"] = "s3cret" };
            options.Secrets["document-api-api-keys"] = new Dictionary<string, object> { ["portal"] = "key;read" };
            options.EditFile("dapr-config.yaml", yaml => yaml.Replace("  workflow:\n", scope.Replace("\r\n", "\n", StringComparison.Ordinal) + "\n", StringComparison.Ordinal));
        });

    [Fact]
    public async Task A_secret_outside_the_allowed_list_is_permission_denied_and_left_out_of_a_bulk_read()
    {
        await using var environment = await StartAsync(redis, Scope);
        using var client = (await environment.StartSidecarAsync("whatsapp-connector")).CreateClient();

        var allowed = await client.GetSecretAsync("secretstore", "whatsapp");
        var exception = await Assert.ThrowsAsync<DaprException>(() => client.GetSecretAsync("secretstore", "document-api-api-keys"));
        var bulk = await client.GetBulkSecretAsync("secretstore");

        Assert.Equal("s3cret", allowed["app-secret"]);
        var rpc = Assert.IsType<global::Grpc.Core.RpcException>(exception.InnerException);
        Assert.Equal(global::Grpc.Core.StatusCode.PermissionDenied, rpc.StatusCode);
        Assert.Equal("access denied by policy to get \"document-api-api-keys\" from \"secretstore\"", rpc.Status.Detail);
        Assert.Equal(["whatsapp"], bulk.Keys);
    }

    [Fact]
    public async Task Default_deny_without_an_allowed_list_refuses_everything_and_a_denied_name_is_refused_under_default_allow()
    {
        const string denyAll = "  secrets:\n    scopes:\n      - storeName: secretstore\n        defaultAccess: deny\n  workflow:";
        const string denyOne = "  secrets:\n    scopes:\n      - storeName: secretstore\n        deniedSecrets: [\"document-api-api-keys\"]\n  workflow:";
        await using (var environment = await StartAsync(redis, denyAll))
        using (var client = (await environment.StartSidecarAsync("whatsapp-connector")).CreateClient())
        {
            await Assert.ThrowsAsync<DaprException>(() => client.GetSecretAsync("secretstore", "whatsapp"));
        }
        await using (var environment = await StartAsync(redis, denyOne))
        using (var client = (await environment.StartSidecarAsync("whatsapp-connector")).CreateClient())
        {
            Assert.Equal("s3cret", (await client.GetSecretAsync("secretstore", "whatsapp"))["app-secret"]);
            await Assert.ThrowsAsync<DaprException>(() => client.GetSecretAsync("secretstore", "document-api-api-keys"));
        }
    }
}
