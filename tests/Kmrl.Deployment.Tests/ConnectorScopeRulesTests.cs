namespace Kmrl.Deployment.Tests;

public sealed class ConnectorScopeRulesTests
{
    [Fact]
    public void Every_connector_is_in_the_scopes_of_every_component_and_policy_the_host_needs_in_components_and_both_overlays()
    {
        var violations = ConnectorScopeRules.Check(RepositoryRoot.Find());

        Assert.Empty(violations);
    }

    [Theory]
    [InlineData("components/lockstore.yaml", "lockstore", "components/")]
    [InlineData("components/statestore.yaml", "statestore", "components/")]
    [InlineData("k8s/overlays/production/components.yaml", "lockstore", "k8s/overlays/production")]
    [InlineData("k8s/overlays/local/components.yaml", "blobstore", "k8s/overlays/local")]
    [InlineData("k8s/overlays/production/components.yaml", "secretstore", "k8s/overlays/production")]
    public void A_connector_left_out_of_a_component_it_needs_is_caught(string file, string component, string where)
    {
        using var copy = new RepositoryCopy();
        RemoveScope(copy, file, component, "maximo-connector");

        var violations = ConnectorScopeRules.Check(copy.Root);

        Assert.Contains($"{where}: maximo-connector is not in the scopes of component '{component}'", string.Join("\n", violations), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("components/resiliency.yaml", "components/")]
    [InlineData("k8s/base/resiliency.yaml", "k8s/overlays/local")]
    public void A_connector_left_out_of_the_resiliency_policy_is_caught(string file, string where)
    {
        using var copy = new RepositoryCopy();
        copy.Replace(file, "  - email-connector\n", "");

        var violations = ConnectorScopeRules.Check(copy.Root);

        Assert.Contains(violations, v => v.StartsWith($"{where}: email-connector is not in the scopes of Resiliency", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("components/sharepoint-schedule.yaml", "components/")]
    [InlineData("k8s/base/schedules.yaml", "k8s/overlays/production")]
    public void A_connector_without_its_schedule_binding_is_caught(string file, string where)
    {
        using var copy = new RepositoryCopy();
        copy.Replace(file, "  - sharepoint-connector", "  - document-api");

        var violations = ConnectorScopeRules.Check(copy.Root);

        Assert.Contains($"{where}: no schedule binding (a bindings.cron named in DaprNames.Bindings) is scoped to sharepoint-connector", violations);
    }

    [Fact]
    public void A_connector_whose_publishing_scope_lacks_a_topic_the_host_publishes_is_caught()
    {
        using var copy = new RepositoryCopy();
        copy.Replace("k8s/overlays/production/components.yaml",
            "whatsapp-connector=document-discovered,document-discovered-bulk,", "whatsapp-connector=document-discovered,");

        var violations = ConnectorScopeRules.Check(copy.Root);

        Assert.Contains(violations, v => v.Contains("lets whatsapp-connector publish, but not to 'document-discovered-bulk'", StringComparison.Ordinal));
    }

    /// <summary>Drops <paramref name="appId"/> from the scopes of one component of a (multi-document) YAML file.</summary>
    private static void RemoveScope(RepositoryCopy copy, string file, string component, string appId)
    {
        var path = copy.PathOf(file);
        var documents = File.ReadAllText(path).Split("\n---\n");
        var index = Array.FindIndex(documents, d => d.Contains($"\n  name: {component}\n", StringComparison.Ordinal));
        Assert.True(index >= 0, $"{file} defines no component '{component}'");
        Assert.Contains($"  - {appId}\n", documents[index]);
        documents[index] = documents[index].Replace($"  - {appId}\n", "", StringComparison.Ordinal);
        File.WriteAllText(path, string.Join("\n---\n", documents));
    }
}
