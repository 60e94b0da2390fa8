using Dapr;
using Dapr.Client;
using Kmrl.Contracts;
using Kmrl.Testing.Servers;

namespace Kmrl.Dapr.Testing.Tests;

/// <summary>
/// Configuration <c>spec.secrets.scopes</c> as daprd applies them (dapr/dapr pkg/config/configuration.go
/// SecretsScope.IsSecretAllowed, pkg/api/universal/secrets.go): a refused GetSecret is PermissionDenied, a bulk read
/// leaves the refused secrets out. Every app of dapr.yaml runs with its own Configuration from dapr-config/, so the
/// local run scopes each app as Kubernetes does.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class SecretScopeTests(RedisServer redis)
{
    private const string WhatsAppScope = "        defaultAccess: deny\n        allowedSecrets: [\"connector-operator-keys\", \"whatsapp\"]\n";

    private static Task<DaprTestEnvironment> StartAsync(RedisServer redis, Action<DaprTestOptions>? configure = null) =>
        DaprTestEnvironment.StartAsync(redis, options =>
        {
            options.Secrets["whatsapp"] = new Dictionary<string, object> { ["app-secret"] = "s3cret" };
            options.Secrets["document-api-api-keys"] = new Dictionary<string, object> { ["portal"] = "key;read" };
            configure?.Invoke(options);
        });

    private static Action<DaprTestOptions> WhatsAppScopeAs(string scope) => options =>
        options.EditFile("dapr-config/whatsapp-connector.yaml", yaml =>
        {
            Assert.Contains(WhatsAppScope, yaml, StringComparison.Ordinal);
            return yaml.Replace(WhatsAppScope, scope, StringComparison.Ordinal);
        });

    [Fact]
    public async Task A_secret_outside_the_apps_own_configuration_is_permission_denied_and_left_out_of_a_bulk_read()
    {
        // The repository's dapr-config/whatsapp-connector.yaml, unchanged.
        await using var environment = await StartAsync(redis);
        using var client = (await environment.StartSidecarAsync(DaprNames.AppIds.WhatsAppConnector)).CreateClient();

        var allowed = await client.GetSecretAsync("secretstore", "whatsapp");
        var exception = await Assert.ThrowsAsync<DaprException>(() => client.GetSecretAsync("secretstore", "document-api-api-keys"));
        var bulk = await client.GetBulkSecretAsync("secretstore");

        Assert.Equal("s3cret", allowed["app-secret"]);
        var rpc = Assert.IsType<global::Grpc.Core.RpcException>(exception.InnerException);
        Assert.Equal(global::Grpc.Core.StatusCode.PermissionDenied, rpc.StatusCode);
        Assert.Equal("access denied by policy to get \"document-api-api-keys\" from \"secretstore\"", rpc.Status.Detail);
        // redis-password and document-api-api-keys are in the file, and filtered out.
        Assert.Equal(["whatsapp"], bulk.Keys);
    }

    [Fact]
    public async Task Every_app_of_the_run_file_is_refused_a_secret_only_another_app_may_read()
    {
        await using var environment = await StartAsync(redis, options =>
        {
            options.Secrets[DaprNames.Secrets.NotificationRecipients] = new Dictionary<string, object> { ["operations"] = "ops@kmrl.example" };
        });

        foreach (var app in environment.Layout.Apps)
        {
            using var client = (await environment.StartSidecarAsync(app.AppId)).CreateClient();
            // Only document-api reads the API keys, only notifications the recipients.
            var foreign = app.AppId == DaprNames.AppIds.DocumentApi ? DaprNames.Secrets.NotificationRecipients : DaprNames.Secrets.DocumentApiApiKeys;

            var exception = await Assert.ThrowsAsync<DaprException>(() => client.GetSecretAsync("secretstore", foreign));

            Assert.Equal(global::Grpc.Core.StatusCode.PermissionDenied, Assert.IsType<global::Grpc.Core.RpcException>(exception.InnerException).StatusCode);
            Assert.DoesNotContain("redis-password", (await client.GetBulkSecretAsync("secretstore")).Keys);
        }
        Assert.Equal(DaprNames.AppIds.All.Order(), environment.Layout.Apps.Select(a => a.AppId).Order());
    }

    [Fact]
    public async Task Default_deny_without_an_allowed_list_refuses_everything_and_a_denied_name_is_refused_under_default_allow()
    {
        await using (var environment = await StartAsync(redis, WhatsAppScopeAs("        defaultAccess: deny\n")))
        using (var client = (await environment.StartSidecarAsync(DaprNames.AppIds.WhatsAppConnector)).CreateClient())
        {
            await Assert.ThrowsAsync<DaprException>(() => client.GetSecretAsync("secretstore", "whatsapp"));
        }
        await using (var environment = await StartAsync(redis, WhatsAppScopeAs("        deniedSecrets: [\"document-api-api-keys\"]\n")))
        using (var client = (await environment.StartSidecarAsync(DaprNames.AppIds.WhatsAppConnector)).CreateClient())
        {
            Assert.Equal("s3cret", (await client.GetSecretAsync("secretstore", "whatsapp"))["app-secret"]);
            await Assert.ThrowsAsync<DaprException>(() => client.GetSecretAsync("secretstore", "document-api-api-keys"));
        }
    }

    [Fact]
    public async Task A_configuration_that_names_a_store_twice_or_an_unknown_default_access_stops_the_sidecar()
    {
        // sortAndValidateSecretsConfiguration: daprd does not start on either.
        var twice = WhatsAppScope + "      - storeName: secretstore\n        defaultAccess: allow\n";
        await using (var environment = await StartAsync(redis, WhatsAppScopeAs(twice)))
        {
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => environment.StartSidecarAsync(DaprNames.AppIds.WhatsAppConnector));
            Assert.Contains("\"secretstore\" storeName is repeated in secrets configuration", error.Message, StringComparison.Ordinal);
        }
        await using (var environment = await StartAsync(redis, WhatsAppScopeAs("        defaultAccess: nobody\n")))
        {
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => environment.StartSidecarAsync(DaprNames.AppIds.WhatsAppConnector));
            Assert.Contains("defaultAccess \"nobody\" can be either allow or deny", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_secret_allowed_for_a_configured_source_is_readable_by_that_app_only()
    {
        // What an operator does for a Maximo export folder with its own secret: adds the name to the app's scope.
        await using var environment = await StartAsync(redis, options =>
        {
            options.Secrets["maximo-export"] = new Dictionary<string, object> { ["password"] = "ftp" };
            options.AllowSecrets(DaprNames.AppIds.MaximoConnector, "maximo-export");
        });
        using var maximo = (await environment.StartSidecarAsync(DaprNames.AppIds.MaximoConnector)).CreateClient();
        using var email = (await environment.StartSidecarAsync(DaprNames.AppIds.EmailConnector)).CreateClient();

        Assert.Equal("ftp", (await maximo.GetSecretAsync("secretstore", "maximo-export"))["password"]);
        await Assert.ThrowsAsync<DaprException>(() => email.GetSecretAsync("secretstore", "maximo-export"));
    }
}
