namespace Kmrl.Deployment.Tests;

public sealed class DaprResourceRulesTests
{
    [Fact]
    public void The_repository_passes_every_deployment_rule()
    {
        var violations = DaprResourceRules.Check(RepositoryRoot.Find());

        Assert.Empty(violations);
    }

    [Fact]
    public void A_component_the_code_uses_but_components_lacks_is_caught()
    {
        using var copy = new RepositoryCopy();
        File.Delete(copy.PathOf("components/lockstore.yaml"));

        var violations = DaprResourceRules.Check(copy.Root);

        Assert.Contains(violations, v => v.Contains("'lockstore' is used in code"));
    }

    [Fact]
    public void A_renamed_component_reference_is_caught()
    {
        using var copy = new RepositoryCopy();
        copy.Replace("components/pubsub.yaml", "name: pubsub", "name: messagebus");

        var violations = DaprResourceRules.Check(copy.Root);

        Assert.Contains(violations, v => v.Contains("'pubsub' is used in code"));
    }

    [Fact]
    public void A_scope_that_names_no_app_is_caught()
    {
        using var copy = new RepositoryCopy();
        copy.Replace("components/statestore.yaml", "  - email-connector", "  - mail-connector");

        var violations = DaprResourceRules.Check(copy.Root);

        Assert.Contains(violations, v => v.Contains("scope 'mail-connector'"));
    }

    [Fact]
    public void A_component_without_scopes_is_caught()
    {
        using var copy = new RepositoryCopy();
        copy.Replace("components/blobstore.yaml", "scopes:", "unscoped:");

        var violations = DaprResourceRules.Check(copy.Root);

        Assert.Contains(violations, v => v.Contains("'blobstore' has no scopes"));
    }

    [Fact]
    public void A_plaintext_secret_in_a_component_is_caught()
    {
        using var copy = new RepositoryCopy();
        copy.Replace("components/lockstore.yaml",
            "    - name: redisPassword\n      secretKeyRef:\n        name: redis-password\n        key: redis-password",
            "    - name: redisPassword\n      value: hunter2");

        var violations = DaprResourceRules.Check(copy.Root);

        Assert.Contains(violations, v => v.Contains("'redisPassword' of 'lockstore' holds a plaintext value"));
    }

    [Fact]
    public void A_secret_reference_without_a_secret_store_is_caught()
    {
        using var copy = new RepositoryCopy();
        copy.Replace("components/statestore.yaml", "secretStore: secretstore", "secretStore: vault");

        var violations = DaprResourceRules.Check(copy.Root);

        Assert.Contains(violations, v => v.Contains("auth.secretStore 'vault'"));
    }

    [Fact]
    public void An_app_id_without_a_project_is_caught()
    {
        using var copy = new RepositoryCopy();
        copy.Replace("dapr.yaml", "appDirPath: ./services/Kmrl.Connectors.Maximo/", "appDirPath: ./services/Kmrl.Maximo/");

        var violations = DaprResourceRules.Check(copy.Root);

        Assert.Contains(violations, v => v.Contains("app 'maximo-connector' points at './services/Kmrl.Maximo/'"));
    }

    [Fact]
    public void An_app_id_the_code_does_not_know_is_caught()
    {
        using var copy = new RepositoryCopy();
        copy.Replace("dapr.yaml", "appID: whatsapp-connector", "appID: whatsapp");

        var violations = DaprResourceRules.Check(copy.Root);

        Assert.Contains(violations, v => v.Contains("app id 'whatsapp' is not one of DaprNames.AppIds"));
        Assert.Contains(violations, v => v.Contains("'whatsapp-connector' from DaprNames.AppIds is not started"));
    }

    [Fact]
    public void A_cron_binding_shared_by_two_connectors_is_caught()
    {
        using var copy = new RepositoryCopy();
        copy.Replace("components/email-schedule.yaml", "  - email-connector", "  - email-connector\n  - maximo-connector");

        var violations = DaprResourceRules.Check(copy.Root);

        Assert.Contains(violations, v => v.Contains("'email-schedule' must be scoped to exactly one connector"));
    }
}
