using Kmrl.Contracts;
using YamlDotNet.RepresentationModel;

namespace Kmrl.Deployment.Tests;

public sealed class ResiliencyRulesTests
{
    /// <summary>The resiliency spec as it was at a98dd33, in both components/ and k8s/base/.</summary>
    private const string ResiliencyBefore = """
        apiVersion: dapr.io/v1alpha1
        kind: Resiliency
        metadata:
          name: kmrl-resiliency
        scopes:
          - document-api
          - email-connector
          - sharepoint-connector
          - maximo-connector
          - whatsapp-connector
        spec:
          policies:
            timeouts:
              component: 10s
              app: 60s
            retries:
              componentRetry:
                policy: exponential
                initialInterval: 200ms
                maxInterval: 10s
                maxRetries: 5
              deliveryRetry:
                policy: exponential
                initialInterval: 1s
                maxInterval: 30s
                maxRetries: 5
              appRetry:
                policy: constant
                duration: 2s
                maxRetries: 3
            circuitBreakers:
              pubsubBreaker:
                maxRequests: 1
                interval: 30s
                timeout: 60s
                trip: consecutiveFailures > 10
          targets:
            apps:
              document-api:
                timeout: app
                retry: appRetry
            components:
              statestore:
                outbound:
                  timeout: component
                  retry: componentRetry
              blobstore:
                outbound:
                  timeout: component
                  retry: componentRetry
              secretstore:
                outbound:
                  retry: componentRetry
              pubsub:
                outbound:
                  retry: componentRetry
                inbound:
                  retry: deliveryRetry
                  circuitBreaker: pubsubBreaker

        """;

    [Theory]
    [InlineData("components/resiliency.yaml", "components/")]
    [InlineData("k8s/base/resiliency.yaml", "k8s/overlays/production")]
    public void The_resiliency_spec_of_a98dd33_is_refused_for_each_of_its_defects(string file, string label)
    {
        using var copy = new RepositoryCopy();
        File.WriteAllText(copy.PathOf(file), ResiliencyBefore);

        var violations = DaprResourceRules.Check(copy.Root).Where(v => v.StartsWith(label, StringComparison.Ordinal)).ToList();

        Assert.Contains(violations, v => v.Contains("spec.policies.retries.componentRetry.initialInterval: unknown field"));
        Assert.Contains(violations, v => v.Contains("spec.policies.retries.deliveryRetry.initialInterval: unknown field"));
        Assert.Contains(violations, v => v.Contains("'statestore' (state.redis) retries outbound calls"));
        Assert.Contains(violations, v => v.Contains("'secretstore' (secretstores."));
        Assert.Contains(violations, v => v.Contains("'blobstore' (bindings."));
        Assert.Contains(violations, v => v.Contains("'pubsub' has inbound circuit breaker 'pubsubBreaker'"));
        Assert.Contains(violations, v => v.Contains("deliveries on 'pubsub' reach the dead-letter topic after about 7 s"));
        Assert.Contains(violations, v => v.Contains("targets.apps.document-api applies to service invocation"));
    }

    [Fact]
    public void A_count_written_as_a_string_is_refused_as_the_crd_refuses_it()
    {
        using var copy = new RepositoryCopy();
        copy.Replace("k8s/base/resiliency.yaml", "maxRetries: 30", "maxRetries: \"30\"");

        Assert.Contains(DaprResourceRules.Check(copy.Root), v => v.Contains("spec.policies.retries.deliveryRetry.maxRetries: '30' is not a integer"));
    }

    [Fact]
    public void A_resiliency_without_targets_is_refused()
    {
        var document = Parse("apiVersion: dapr.io/v1alpha1\nkind: Resiliency\nmetadata: {name: r}\nspec:\n  policies: {}\n");

        Assert.Equal(["spec.targets: required field missing"], CrdSchema.Resiliency.Validate(document));
    }

    [Fact]
    public void Dapr_exponential_backoff_is_summed_from_its_500_ms_start()
    {
        // dapr/kit retry: 500 ms, then x1.5 per attempt, capped at maxInterval.
        var before = ResiliencyRules.Budget(Parse("policy: exponential\nmaxInterval: 30s\nmaxRetries: 5"));
        var now = ResiliencyRules.Budget(Parse("policy: exponential\nmaxInterval: 30s\nmaxRetries: 30"));

        Assert.Equal(6.59375, before.TotalSeconds, 3);
        Assert.InRange(now, TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(12));
        Assert.Equal(TimeSpan.MaxValue, ResiliencyRules.Budget(Parse("policy: constant\nduration: 5s")));
        Assert.Equal(TimeSpan.FromSeconds(15), ResiliencyRules.Budget(Parse("policy: constant\nduration: 5s\nmaxRetries: 3")));
    }

    [Fact]
    public void Go_durations_are_read_as_go_writes_them()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(200), ResiliencyRules.Duration("200ms"));
        Assert.Equal(TimeSpan.FromSeconds(90), ResiliencyRules.Duration("1m30s"));
        Assert.Equal(TimeSpan.FromHours(168), ResiliencyRules.Duration("168h"));
    }

    [Fact]
    public void The_delivery_budget_rides_out_a_restart_of_document_api()
    {
        var resiliency = YamlDocuments.Load(Path.Combine(RepositoryRoot.Find(), "components", "resiliency.yaml")).Single();

        var inbound = resiliency.Child("spec").Child("targets").Child("components").Child(DaprNames.Components.PubSub).Child("inbound").Text("retry")!;

        Assert.True(ResiliencyRules.Budget(resiliency.Child("spec").Child("policies").Child("retries").Child(inbound)) >= ResiliencyRules.MinimumDeliveryBudget);
    }

    [Theory]
    [InlineData("components/pubsub.yaml", "components/")]
    [InlineData("k8s/overlays/production/components.yaml", "k8s/overlays/production")]
    public void A_processing_timeout_that_cuts_the_delivery_retries_short_is_refused(string file, string label)
    {
        // a98dd33's processingTimeout: pubsub.redis ends each delivery, retries included, after 60 s.
        using var copy = new RepositoryCopy();
        copy.Replace(file, "value: \"15m\"", "value: \"60s\"");

        Assert.Contains(DaprResourceRules.Check(copy.Root), v => v.StartsWith(label, StringComparison.Ordinal)
            && v.Contains("runs each delivery under processingTimeout 60 s"));
    }

    private static YamlMappingNode Parse(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }
}
