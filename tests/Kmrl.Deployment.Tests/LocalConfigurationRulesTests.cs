namespace Kmrl.Deployment.Tests;

/// <summary>
/// The local run (<c>dapr run -f .</c>, and <c>./build.sh run</c>, which reads the same files) scopes each app to the
/// secrets Kubernetes lets it read; <see cref="SecretScopeAndNetworkTests"/> checks those are exactly what each app uses.
/// </summary>
public sealed class LocalConfigurationRulesTests
{
    [Theory]
    [InlineData("local")]
    [InlineData("production")]
    public void Each_app_of_the_run_file_has_its_own_configuration_with_the_secret_scope_and_workflow_settings_of_kubernetes(string overlay)
    {
        Assert.Empty(LocalConfigurationRules.Check(RepositoryRoot.Find(), overlay));
    }

    [Fact]
    public void A_local_scope_that_allows_more_than_kubernetes_is_caught()
    {
        using var copy = new RepositoryCopy();
        copy.Replace("dapr-config/email-connector.yaml", "\"connector-operator-keys\", \"email-ops-mailbox\"", "\"connector-operator-keys\", \"email-ops-mailbox\", \"maximo\"");

        Assert.Contains(LocalConfigurationRules.Check(copy.Root, "local"), v =>
            v.StartsWith("dapr-config/email-connector.yaml: the secretstore scope of 'email-connector' is defaultAccess deny, allowed [connector-operator-keys, email-ops-mailbox, maximo]", StringComparison.Ordinal));
    }

    [Fact]
    public void A_local_scope_that_allows_by_default_is_caught()
    {
        using var copy = new RepositoryCopy();
        copy.Replace("dapr-config/notifications.yaml", "        defaultAccess: deny\n        allowedSecrets: [\"notification-recipients\"]\n", "        defaultAccess: allow\n");

        Assert.Contains(LocalConfigurationRules.Check(copy.Root, "production"), v => v.Contains("scope of 'notifications' is defaultAccess allow, allowed []", StringComparison.Ordinal));
    }

    [Fact]
    public void An_app_left_on_the_common_configuration_is_caught()
    {
        using var copy = new RepositoryCopy();
        copy.Replace("dapr.yaml", "    configFilePath: ../../dapr-config/whatsapp-connector.yaml\n", string.Empty);

        Assert.Contains(LocalConfigurationRules.Check(copy.Root, "local"), v => v.Contains("'whatsapp-connector' has no configFilePath of its own", StringComparison.Ordinal));
    }

    [Fact]
    public void Two_apps_sharing_one_configuration_are_caught()
    {
        using var copy = new RepositoryCopy();
        copy.Replace("dapr.yaml", "../../dapr-config/sharepoint-connector.yaml", "../../dapr-config/email-connector.yaml");

        var violations = LocalConfigurationRules.Check(copy.Root, "local");

        Assert.Contains(violations, v => v.Contains("'sharepoint-connector' and 'email-connector' share", StringComparison.Ordinal));
    }

    [Fact]
    public void A_workflow_limit_that_differs_from_the_clusters_is_caught()
    {
        using var copy = new RepositoryCopy();
        copy.Replace("dapr-config/document-api.yaml", "maxConcurrentActivityInvocations: 32", "maxConcurrentActivityInvocations: 8");

        Assert.Contains(LocalConfigurationRules.Check(copy.Root, "local"), v => v.Contains("spec.workflow of 'document-api'", StringComparison.Ordinal));
    }
}
