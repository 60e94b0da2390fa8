using Kmrl.Contracts;

namespace Kmrl.Deployment.Tests;

/// <summary>
/// The pub/sub component's publishingScopes in each rendered overlay: daprd refuses a named app's publish to any topic
/// its list lacks (an app not named may publish anything), so each list must hold every topic that app's code
/// publishes, and the overlays must agree.
/// </summary>
public sealed class PublishingScopeTests
{
    private static readonly IReadOnlyList<string> ConnectorTopics =
    [
        DaprNames.Topics.DocumentDiscovered, DaprNames.Topics.DocumentDiscoveredBulk, DaprNames.Topics.DocumentRemovedAtSource,
        DaprNames.Topics.ConnectorSyncFailed, DaprNames.Topics.ConnectorSyncRecovered, DaprNames.Topics.ConnectorItemDeadLettered,
    ];

    private static Dictionary<string, string[]> PublishingScopes(string overlay)
    {
        var resources = KustomizeRenderer.Render(Path.Combine(RepositoryRoot.Find(), "k8s", "overlays", overlay));
        var pubsub = resources.Single(r => r.Kind == "Component" && r.Name == DaprNames.Components.PubSub);
        var value = pubsub.Node.Child("spec").Child("metadata").Items().Single(m => m.Text("name") == "publishingScopes").Text("value")!;
        return value.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(entry => entry.Split('=', 2))
            .ToDictionary(pair => pair[0], pair => pair[1].Split(',', StringSplitOptions.RemoveEmptyEntries));
    }

    [Theory]
    [InlineData("local")]
    [InlineData("production")]
    public void Each_scoped_app_may_publish_exactly_the_topics_its_code_publishes(string overlay)
    {
        var scopes = PublishingScopes(overlay);

        foreach (var connector in DaprNames.AppIds.Connectors)
        {
            Assert.Equal(ConnectorTopics.Order(), scopes[connector].Order());
        }
        // A reminder link's acknowledgement, for document-api to record.
        Assert.Equal([DaprNames.Topics.DeadlineAcknowledged], scopes[DaprNames.AppIds.Notifications]);
        // document-api publishes per-department topics, which a fixed list cannot name: it stays unscoped.
        Assert.DoesNotContain(DaprNames.AppIds.DocumentApi, scopes.Keys);
        Assert.All(scopes.Values.SelectMany(t => t), topic => Assert.Contains(topic, DaprNames.Topics.All));
    }
}
