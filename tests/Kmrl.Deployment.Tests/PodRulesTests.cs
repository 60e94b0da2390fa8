using Kmrl.Contracts;
using YamlDotNet.RepresentationModel;

namespace Kmrl.Deployment.Tests;

/// <summary>Pods as the injector leaves them; each broken copy puts back what a98dd33 had.</summary>
public sealed class PodRulesTests
{
    private static readonly IReadOnlySet<string> AppIds = DaprNames.AppIds.All.ToHashSet();

    [Theory]
    [InlineData("local")]
    [InlineData("production")]
    public void Every_app_container_has_both_tokens_from_the_secrets_its_sidecar_uses(string overlay)
    {
        var resources = KustomizeRenderer.Render(Path.Combine(RepositoryRoot.Find(), "k8s", "overlays", overlay));

        foreach (var deployment in resources.Where(r => r.Kind == "Deployment" && r.Name is not ("redis" or "postgres")))
        {
            var annotations = deployment.Node.Child("spec").Child("template").Child("metadata").Child("annotations");
            var environment = PodRules.AppEnvironmentAfterInjection(KustomizeRenderer.Containers(deployment).First(), annotations);

            Assert.Equal(annotations.Text("dapr.io/api-token-secret"), environment["DAPR_API_TOKEN"].Child("valueFrom").Child("secretKeyRef").Text("name"));
            Assert.Equal(annotations.Text("dapr.io/app-token-secret"), environment["APP_API_TOKEN"].Child("valueFrom").Child("secretKeyRef").Text("name"));
        }
    }

    [Fact]
    public void The_injector_adds_only_the_ports_and_the_protocol_to_the_app_container()
    {
        var app = new YamlMappingNode { { "name", "app" } };
        var annotations = new YamlMappingNode { { "dapr.io/app-protocol", "http" }, { "dapr.io/api-token-secret", "dapr-api-token" } };

        var environment = PodRules.AppEnvironmentAfterInjection(app, annotations);

        Assert.Equal(["APP_PROTOCOL", "DAPR_GRPC_PORT", "DAPR_HTTP_PORT"], environment.Keys.Order());
    }

    [Fact]
    public void App_containers_without_the_tokens_are_caught()
    {
        using var copy = new RepositoryCopy();
        copy.Replace("k8s/base/email-connector.yaml",
            "            - name: DAPR_API_TOKEN\n              valueFrom:\n                secretKeyRef:\n                  name: dapr-api-token\n                  key: token\n"
            + "            - name: APP_API_TOKEN\n              valueFrom:\n                secretKeyRef:\n                  name: dapr-app-token\n                  key: token\n",
            "");

        var violations = Check(copy);

        Assert.Contains(violations, v => v.Contains("'email-connector': dapr.io/api-token-secret is set but the app container has no DAPR_API_TOKEN"));
        Assert.Contains(violations, v => v.Contains("'email-connector': dapr.io/app-token-secret is set but the app container has no APP_API_TOKEN"));
    }

    [Fact]
    public void A_token_from_another_secret_than_the_sidecars_is_caught()
    {
        using var copy = new RepositoryCopy();
        copy.Replace("k8s/base/maximo-connector.yaml", "                  name: dapr-app-token\n", "                  name: dapr-api-token\n");

        Assert.Contains(Check(copy), v => v.Contains("'maximo-connector': APP_API_TOKEN must come from secret 'dapr-app-token'"));
    }

    [Fact]
    public void A_pod_without_a_mounted_service_account_token_is_caught()
    {
        using var copy = new RepositoryCopy();
        copy.Replace("k8s/base/document-api.yaml", "automountServiceAccountToken: true", "automountServiceAccountToken: false");

        Assert.Contains(Check(copy), v => v.Contains("'document-api': no service-account token is mounted, but the secretstores.kubernetes component needs one"));
    }

    [Fact]
    public void Pods_without_rbac_for_secrets_are_caught()
    {
        using var copy = new RepositoryCopy();
        copy.Replace("k8s/base/kustomization.yaml", "  - rbac.yaml\n", "");
        copy.Replace("k8s/base/sharepoint-connector.yaml", "      serviceAccountName: sharepoint-connector\n", "");

        var violations = Check(copy);

        Assert.Contains(violations, v => v.Contains("'sharepoint-connector': ServiceAccount 'default' has no RoleBinding granting get on secrets"));
        Assert.Contains(violations, v => v.Contains("'whatsapp-connector': ServiceAccount 'whatsapp-connector' has no RoleBinding"));
    }

    [Fact]
    public void A_role_that_lets_the_apps_list_secrets_is_caught()
    {
        using var copy = new RepositoryCopy();
        copy.Replace("k8s/base/rbac.yaml", "verbs: [\"get\"]", "verbs: [\"get\", \"list\"]");

        Assert.Contains(Check(copy), v => v.Contains("Role 'email-connector-secrets' may list secrets"));
    }

    [Fact]
    public void A_role_that_lets_an_app_get_every_secret_of_the_namespace_is_caught()
    {
        // Issue 15's Role: get on every secret, which the app container's own token could use past Dapr's scopes.
        using var copy = new RepositoryCopy();
        copy.Replace("k8s/base/rbac.yaml",
            "    resourceNames: [\"connector-operator-keys\", \"kmrl-blobstore\", \"kmrl-redis\", \"kmrl-redis-lock\", \"whatsapp\"]\n", "");

        Assert.Contains(Check(copy), v => v.Contains("Role 'whatsapp-connector-secrets' may get every secret in the namespace"));
    }

    [Theory]
    [InlineData("production", "kmrl-redis-lock", "component 'lockstore'")]
    [InlineData("local", "email-ops-mailbox", "Configuration 'email-connector-config' (allowedSecrets)")]
    public void A_secret_the_sidecar_reads_that_its_role_does_not_name_is_caught(string overlay, string secret, string reader)
    {
        using var copy = new RepositoryCopy();
        copy.Replace("k8s/base/rbac.yaml",
            "[\"connector-operator-keys\", \"email-ops-mailbox\", \"kmrl-blobstore\", \"kmrl-redis\", \"kmrl-redis-lock\"]",
            "[" + string.Join(", ", new[] { "connector-operator-keys", "email-ops-mailbox", "kmrl-blobstore", "kmrl-redis", "kmrl-redis-lock" }
                .Where(name => name != secret).Select(name => $"\"{name}\"")) + "]");

        Assert.Contains($"k8s/overlays/{overlay}: Deployment 'email-connector': ServiceAccount 'email-connector' may not get secret '{secret}', which {reader} reads",
            Check(copy));
    }

    [Fact]
    public void The_builtin_kubernetes_store_left_enabled_needs_the_token_too()
    {
        using var copy = new RepositoryCopy();
        copy.Replace("k8s/base/whatsapp-connector.yaml", "        dapr.io/disable-builtin-k8s-secret-store: \"true\"\n", "");
        copy.Replace("k8s/base/whatsapp-connector.yaml", "automountServiceAccountToken: true", "automountServiceAccountToken: false");

        Assert.Contains(Check(copy), v => v.Contains("'whatsapp-connector': no service-account token is mounted, but the built-in kubernetes secret store (not disabled) needs one"));
    }

    [Fact]
    public void The_a98dd33_sidecar_memory_without_a_soft_limit_is_caught()
    {
        using var copy = new RepositoryCopy();
        copy.Replace("k8s/base/document-api.yaml", "        dapr.io/sidecar-memory-limit: 1000Mi\n        dapr.io/env: \"GOMEMLIMIT=900MiB\"\n",
            "        dapr.io/sidecar-memory-limit: 256Mi\n");

        Assert.Contains(Check(copy), v => v.Contains("'document-api': sidecar memory limit 256Mi without GOMEMLIMIT below it"));
    }

    [Fact]
    public void A_soft_limit_above_the_hard_one_is_caught()
    {
        using var copy = new RepositoryCopy();
        copy.Replace("k8s/base/email-connector.yaml", "GOMEMLIMIT=900MiB", "GOMEMLIMIT=2GiB");

        Assert.Contains(Check(copy), v => v.Contains("'email-connector': sidecar memory limit 1000Mi without GOMEMLIMIT below it"));
    }

    [Fact]
    public void The_a98dd33_default_shutdown_is_too_short_for_an_ocr_call()
    {
        using var copy = new RepositoryCopy();
        copy.Replace("k8s/base/document-api.yaml", "        dapr.io/block-shutdown-duration: 185s\n        dapr.io/graceful-shutdown-seconds: \"10\"\n", "");
        copy.Replace("k8s/base/document-api.yaml", "      terminationGracePeriodSeconds: 210\n", "");

        Assert.Contains(Check(copy), v => v.Contains("'document-api': dapr.io/block-shutdown-duration 0 s is shorter than one OCR call (180 s)"));
    }

    [Fact]
    public void A_shutdown_longer_than_the_grace_period_is_caught()
    {
        using var copy = new RepositoryCopy();
        copy.Replace("k8s/base/document-api.yaml", "terminationGracePeriodSeconds: 210", "terminationGracePeriodSeconds: 60");

        Assert.Contains(Check(copy), v => v.Contains("'document-api': daprd's shutdown (185 s blocked + 10 s graceful) does not fit in terminationGracePeriodSeconds 60"));
    }

    [Fact]
    public void Kubernetes_and_go_sizes_are_compared_in_bytes()
    {
        Assert.Equal(1000L * 1024 * 1024, PodRules.Bytes("1000Mi"));
        Assert.Equal(900L * 1024 * 1024, PodRules.Bytes("900MiB"));
        Assert.Equal(2L * 1024 * 1024 * 1024, PodRules.Bytes("2GiB"));
    }

    private static IReadOnlyList<string> Check(RepositoryCopy copy) => KubernetesRules.Check(copy.Root, AppIds);
}
