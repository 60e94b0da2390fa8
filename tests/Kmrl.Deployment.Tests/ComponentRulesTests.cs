using Kmrl.Contracts;

namespace Kmrl.Deployment.Tests;

/// <summary>Actor store, lock, object store and Configuration rules; each broken copy puts back what a98dd33 had.</summary>
public sealed class ComponentRulesTests
{
    private static readonly IReadOnlySet<string> AppIds = DaprNames.AppIds.All.ToHashSet();

    [Theory]
    [InlineData("local", "statestore", "state.redis")]
    [InlineData("production", "actorstore", "state.postgresql")]
    public void Each_overlay_has_one_actor_store_scoped_to_document_api(string overlay, string name, string type)
    {
        var resources = KustomizeRenderer.Render(Path.Combine(RepositoryRoot.Find(), "k8s", "overlays", overlay));
        var components = resources.Where(r => r.Kind == "Component")
            .Select(r => new DaprResourceRules.Component(r.Origin, r.Name, r.Node.Child("spec").Text("type") ?? string.Empty, r.Node)).ToList();

        var actorStore = Assert.Single(components, DaprResourceRules.IsActorStateStore);

        Assert.Equal((name, type), (actorStore.Name, actorStore.Type));
        Assert.Contains(DaprNames.AppIds.DocumentApi, actorStore.Scopes);
    }

    [Fact]
    public void Redis_as_the_production_actor_store_is_caught()
    {
        using var copy = new RepositoryCopy();
        RemoveDocument(copy, "k8s/overlays/production/components.yaml", "name: actorstore");
        copy.Replace("k8s/overlays/production/components.yaml",
            "    # Not the actor store: Redis runs a transaction as one script per key with no rollback, and state.redis itself\n    # warns against it as a production actor state store. Workflow state lives in \"actorstore\" below.\n",
            "    - name: actorStateStore\n      value: \"true\"\n");

        Assert.Contains(Check(copy), v => v.Contains("k8s/overlays/production: the actor state store 'statestore' is state.redis, which does not roll a transaction back"));
    }

    [Fact]
    public void Two_actor_stores_in_one_environment_are_caught()
    {
        using var copy = new RepositoryCopy();
        copy.Replace("k8s/overlays/production/components.yaml",
            "    # Not the actor store: Redis runs a transaction as one script per key with no rollback, and state.redis itself\n",
            "    - name: actorStateStore\n      value: \"true\"\n    # Not the actor store: Redis runs a transaction as one script per key with no rollback, and state.redis itself\n");

        Assert.Contains(Check(copy), v => v.Contains("k8s/overlays/production: 2 components are marked actorStateStore (statestore, actorstore)"));
    }

    [Fact]
    public void A_local_run_without_an_actor_store_is_caught()
    {
        using var copy = new RepositoryCopy();
        copy.Replace("components/statestore.yaml", "    - name: actorStateStore\n      value: \"true\"\n", "");

        Assert.Contains(DaprResourceRules.Check(copy.Root), v => v.Contains("components/: 0 components are marked actorStateStore"));
    }

    [Fact]
    public void Locks_on_the_replicated_production_redis_are_caught()
    {
        using var copy = new RepositoryCopy();
        copy.Replace("k8s/overlays/production/components.yaml", "kmrl-redis-lock.data.svc.cluster.local:6380", "kmrl-redis.data.svc.cluster.local:6380");

        Assert.Contains(Check(copy), v => v.Contains("component 'lockstore' (lock.redis): shares the production Redis kmrl-redis.data.svc.cluster.local:6380 with statestore, pubsub"));
    }

    [Fact]
    public void Locks_on_a_sentinel_redis_are_caught()
    {
        using var copy = new RepositoryCopy();
        copy.Replace("k8s/overlays/production/components.yaml",
            "      value: kmrl-redis-lock.data.svc.cluster.local:6380\n",
            "      value: kmrl-redis-lock.data.svc.cluster.local:6380\n    - name: failover\n      value: \"true\"\n");

        Assert.Contains(Check(copy), v => v.Contains("component 'lockstore' (lock.redis): failover is set"));
    }

    [Fact]
    public void The_a98dd33_s3_binding_is_caught()
    {
        using var copy = new RepositoryCopy();
        copy.Replace("k8s/overlays/production/components.yaml",
            "    - name: decodeBase64\n      value: \"true\"\n",
            "    - name: endpoint\n      value: https://s3.ap-south-1.amazonaws.com\n    - name: forcePathStyle\n      value: \"true\"\n");

        var violations = Check(copy);

        Assert.Contains(violations, v => v.Contains("'blobstore' (bindings.aws.s3): endpoint https://s3.ap-south-1.amazonaws.com is AWS itself"));
        Assert.Contains(violations, v => v.Contains("'blobstore' (bindings.aws.s3): decodeBase64 is not \"true\""));
    }

    [Fact]
    public void Path_style_without_an_s3_compatible_endpoint_is_caught()
    {
        using var copy = new RepositoryCopy();
        copy.Replace("k8s/overlays/production/components.yaml",
            "    - name: decodeBase64\n", "    - name: forcePathStyle\n      value: \"true\"\n    - name: decodeBase64\n");

        Assert.Contains(Check(copy), v => v.Contains("'blobstore' (bindings.aws.s3): forcePathStyle without an S3-compatible endpoint"));
    }

    [Fact]
    public void An_unknown_or_mistyped_configuration_field_is_caught()
    {
        using var copy = new RepositoryCopy();
        copy.Replace("k8s/base/dapr-configuration.yaml", "      isSecure: false\n", "      insecure: true\n");
        copy.Replace("k8s/base/dapr-configuration.yaml", "samplingRate: \"1\"", "samplingRate: 1");

        var violations = Check(copy);

        Assert.Contains(violations, v => v.Contains("Configuration 'kmrl-config': spec.tracing.otel.insecure: unknown field"));
        Assert.Contains(violations, v => v.Contains("Configuration 'kmrl-config': spec.tracing.otel.isSecure: required field missing"));
        Assert.Contains(violations, v => v.Contains("Configuration 'kmrl-config': spec.tracing.samplingRate: '1' is not a string (quote it)"));
    }

    [Fact]
    public void Workflow_retention_durations_must_be_strings_as_the_crd_takes_them()
    {
        using var copy = new RepositoryCopy();
        copy.Replace("k8s/base/dapr-configuration.yaml", "completed: 168h", "completed: 604800");

        Assert.Contains(Check(copy), v => v.Contains("spec.workflow.stateRetentionPolicy.completed: '604800' is not a string"));
    }

    private static void RemoveDocument(RepositoryCopy copy, string file, string marker)
    {
        var path = copy.PathOf(file);
        var documents = File.ReadAllText(path).Split("\n---\n");
        Assert.Single(documents, d => d.Contains(marker));
        File.WriteAllText(path, string.Join("\n---\n", documents.Where(d => !d.Contains(marker))));
    }

    private static IReadOnlyList<string> Check(RepositoryCopy copy) => KubernetesRules.Check(copy.Root, AppIds);
}
