using System.Text.Json;
using Kmrl.Contracts;
using YamlDotNet.RepresentationModel;

namespace Kmrl.Deployment.Tests;

/// <summary>
/// Least privilege in the rendered overlays (issue 18): each app's sidecar Configuration lets it read exactly the
/// secrets its code and shipped configuration name, its ServiceAccount may get those and its components' by name
/// only, only the ingress reaches the WhatsApp webhook port and document-api's staff pages (over TLS), and the
/// sidecars still reach each other.
/// </summary>
public sealed class SecretScopeAndNetworkTests
{
    private static string Root => RepositoryRoot.Find();

    /// <summary>What each app reads: the names in DaprNames.Secrets its code uses and the secrets its appsettings.json names.</summary>
    private static IReadOnlySet<string> ReadBy(string appId) => ((IEnumerable<string>)(appId switch
    {
        // The staff sign-in's client secret, and its own operator key for the connectors' status on the operations page.
        DaprNames.AppIds.DocumentApi => (string[])[DaprNames.Secrets.DocumentApiApiKeys, DaprNames.Secrets.StaffSignIn, DaprNames.Secrets.ConnectorOperatorKeys],
        DaprNames.AppIds.EmailConnector => [DaprNames.Secrets.ConnectorOperatorKeys, .. ConfiguredSecrets("Kmrl.Connectors.Email", "Email", "Mailboxes")],
        DaprNames.AppIds.SharePointConnector => [DaprNames.Secrets.ConnectorOperatorKeys, DaprNames.Secrets.SharePoint],
        DaprNames.AppIds.MaximoConnector => [DaprNames.Secrets.ConnectorOperatorKeys, .. ConfiguredSecrets("Kmrl.Connectors.Maximo", "Maximo", "Rest")],
        DaprNames.AppIds.WhatsAppConnector => [DaprNames.Secrets.ConnectorOperatorKeys, DaprNames.Secrets.WhatsApp],
        DaprNames.AppIds.LocalFolderConnector => [DaprNames.Secrets.ConnectorOperatorKeys],
        DaprNames.AppIds.Notifications => [DaprNames.Secrets.NotificationRecipients],
        _ => throw new ArgumentOutOfRangeException(nameof(appId), appId, "an app this test does not know"),
    })).ToHashSet(StringComparer.Ordinal);

    private static IEnumerable<string> ConfiguredSecrets(string project, string section, string list)
    {
        using var settings = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "services", project, "appsettings.json")));
        return settings.RootElement.GetProperty(section).GetProperty(list).EnumerateArray()
            .Select(item => item.GetProperty("Secret").GetString()!).ToList();
    }

    [Theory]
    [InlineData("local")]
    [InlineData("production")]
    public void Each_app_may_read_exactly_the_secrets_it_uses_and_no_other(string overlay)
    {
        var resources = KustomizeRenderer.Render(Path.Combine(Root, "k8s", "overlays", overlay));
        var configurations = resources.Where(r => r.Kind == "Configuration").ToDictionary(r => r.Name);

        foreach (var appId in DaprNames.AppIds.All)
        {
            var deployment = resources.Single(r => r.Kind == "Deployment" && r.Name == appId);
            var configName = deployment.Node.Child("spec").Child("template").Child("metadata").Child("annotations").Text("dapr.io/config")!;
            var scopes = configurations[configName].Node.Child("spec").Child("secrets").Child("scopes").Items().ToList();
            var store = scopes.Single(s => s.Text("storeName") == DaprNames.Components.SecretStore);

            Assert.Equal("deny", store.Text("defaultAccess"));
            Assert.Equal(ReadBy(appId).Order(), store.Child("allowedSecrets").Strings().Order());
            Assert.Contains(scopes, s => s.Text("storeName") == "kubernetes" && s.Text("defaultAccess") == "deny");
        }
        // One Configuration per app: a shared one would have to allow the union.
        Assert.Equal(DaprNames.AppIds.All.Count, DaprNames.AppIds.All
            .Select(id => resources.Single(r => r.Kind == "Deployment" && r.Name == id).Node.Child("spec").Child("template").Child("metadata").Child("annotations").Text("dapr.io/config"))
            .Distinct().Count());
    }

    [Fact]
    public void Each_service_account_may_get_by_name_exactly_the_secrets_its_sidecar_reads_in_some_overlay()
    {
        // The token is mounted in the app container too: without names, any app could read any secret through the
        // Kubernetes API whatever its Configuration allows. Names read in one overlay only (kmrl-redis is production's)
        // are granted in both, since the Roles are in base; a name nothing reads is an over-grant.
        var read = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        var granted = new Dictionary<string, IReadOnlySet<string>?>(StringComparer.Ordinal);
        foreach (var overlay in KubernetesRules.Overlays)
        {
            var resources = KustomizeRenderer.Render(Path.Combine(Root, "k8s", "overlays", overlay));
            var components = resources.Where(r => r.Kind == "Component")
                .Select(r => new DaprResourceRules.Component(overlay, r.Name, r.Node.Child("spec").Text("type") ?? string.Empty, r.Node)).ToList();
            foreach (var deployment in resources.Where(r => r.Kind == "Deployment"
                && r.Node.Child("spec").Child("template").Child("metadata").Child("annotations").Text("dapr.io/enabled") == "true"))
            {
                var account = deployment.Node.Child("spec").Child("template").Child("spec").Text("serviceAccountName")!;
                read.TryAdd(account, new HashSet<string>(StringComparer.Ordinal));
                read[account].UnionWith(PodRules.SecretsReadBy(deployment, resources, components).Keys);
                granted[account] = PodRules.SecretsGrantedTo(account, resources);
            }
        }

        Assert.Equal(DaprNames.AppIds.All.Order(), read.Keys.Order());
        foreach (var (account, names) in read)
        {
            var allowed = granted[account];
            Assert.True(allowed is not null, $"{account} may get every secret");
            Assert.Equal(names.Order(StringComparer.Ordinal), allowed!.Order(StringComparer.Ordinal));
        }
        // Nobody gets the secrets that go to containers as env (the kubelet reads those) or another app's.
        Assert.DoesNotContain("dapr-api-token", granted.Values.SelectMany(names => names!));
        Assert.DoesNotContain(DaprNames.Secrets.WhatsApp, granted[DaprNames.AppIds.EmailConnector]!);
    }

    [Theory]
    [InlineData("local")]
    [InlineData("production")]
    public void Only_the_ingress_reaches_the_whatsapp_webhook_port_and_nothing_reaches_the_app_port(string overlay)
    {
        var resources = KustomizeRenderer.Render(Path.Combine(Root, "k8s", "overlays", overlay));
        var deployment = resources.Single(r => r.Kind == "Deployment" && r.Name == DaprNames.AppIds.WhatsAppConnector);
        var container = KustomizeRenderer.Containers(deployment).Single();
        var ports = container.Child("ports").Items().ToDictionary(p => p.Text("name")!, p => p.Text("containerPort")!);
        var env = container.Child("env").Items().ToDictionary(e => e.Text("name")!, e => e.Text("value"));
        var appPort = deployment.Node.Child("spec").Child("template").Child("metadata").Child("annotations").Text("dapr.io/app-port");

        // The app listens on both ports and knows which one is the webhook's.
        Assert.Equal(ports["webhook"], env["WhatsApp__WebhookPort"]);
        Assert.Equal([ports["http"], ports["webhook"]], env["ASPNETCORE_HTTP_PORTS"]!.Split(';').Order());
        Assert.Equal(ports["http"], appPort);
        Assert.NotEqual(ports["http"], ports["webhook"]);

        var policy = resources.Single(r => r.Kind == "NetworkPolicy"
            && r.Node.Child("spec").Child("podSelector").Child("matchLabels").Text("app.kubernetes.io/name") == DaprNames.AppIds.WhatsAppConnector);
        Assert.Equal(["Ingress"], policy.Node.Child("spec").Child("policyTypes").Strings());
        var rules = policy.Node.Child("spec").Child("ingress").Items().ToList();
        var reachable = rules.SelectMany(rule => rule.Child("ports").Items().Select(p => (From: Namespaces(rule), Port: p.Text("port")))).ToList();
        Assert.Contains(reachable, r => r.Port == ports["webhook"] && r.From.SequenceEqual(["ingress-nginx"]));
        Assert.DoesNotContain(reachable, r => r.Port == ports["http"]);
        // Every rule names its sources and ports: an empty "from" or "ports" would open the pod to everyone.
        Assert.All(rules, rule => Assert.NotEmpty(Namespaces(rule)));
        Assert.All(rules, rule => Assert.NotEmpty(rule.Child("ports").Items()));
    }

    [Theory]
    [InlineData("local")]
    [InlineData("production")]
    public void The_staff_pages_are_served_over_TLS_by_the_ingress_and_only_the_ingress_reaches_document_apis_port(string overlay)
    {
        var resources = KustomizeRenderer.Render(Path.Combine(Root, "k8s", "overlays", overlay));
        var deployment = resources.Single(r => r.Kind == "Deployment" && r.Name == DaprNames.AppIds.DocumentApi);
        var appPort = KustomizeRenderer.Containers(deployment).Single().Child("ports").Items().Single(p => p.Text("name") == "http").Text("containerPort");
        var service = resources.Single(r => r.Kind == "Service" && r.Name == DaprNames.AppIds.DocumentApi);
        Assert.Equal("http", service.Node.Child("spec").Child("ports").Items().Single(p => p.Text("name") == "http").Text("targetPort"));

        // The Ingress: every host it serves has a TLS certificate, and "/" of that host goes to document-api's Service.
        var ingress = Assert.Single(resources, r => r.Kind == "Ingress");
        var spec = ingress.Node.Child("spec");
        var tlsHosts = spec.Child("tls").Items().SelectMany(t => t.Child("hosts").Strings()).ToList();
        Assert.All(spec.Child("tls").Items(), t => Assert.False(string.IsNullOrEmpty(t.Text("secretName"))));
        var rules = spec.Child("rules").Items().ToList();
        Assert.NotEmpty(rules);
        Assert.All(rules, rule => Assert.Contains(rule.Text("host"), tlsHosts));
        var root = rules.SelectMany(rule => rule.Child("http").Child("paths").Items()).Single(p => p.Text("path") == "/");
        Assert.Equal("Prefix", root.Text("pathType"));
        Assert.Equal((DaprNames.AppIds.DocumentApi, "http"),
            (root.Child("backend").Child("service").Text("name"), root.Child("backend").Child("service").Child("port").Text("name")));
        Assert.Equal("true", ingress.Node.Child("metadata").Child("annotations").Text("nginx.ingress.kubernetes.io/force-ssl-redirect"));
        // Every other backend is a Service that exists, on a port it names.
        foreach (var path in rules.SelectMany(rule => rule.Child("http").Child("paths").Items()))
        {
            var backend = path.Child("backend").Child("service");
            var target = resources.Single(r => r.Kind == "Service" && r.Name == backend.Text("name"));
            Assert.Contains(target.Node.Child("spec").Child("ports").Items(), p => p.Text("name") == backend.Child("port").Text("name"));
        }

        // The NetworkPolicy: the app port from the ingress controller alone; the sidecars keep what they need.
        var policy = resources.Single(r => r.Kind == "NetworkPolicy"
            && r.Node.Child("spec").Child("podSelector").Child("matchLabels").Text("app.kubernetes.io/name") == DaprNames.AppIds.DocumentApi);
        Assert.Equal(["Ingress"], policy.Node.Child("spec").Child("policyTypes").Strings());
        var allowed = policy.Node.Child("spec").Child("ingress").Items().ToList();
        var byPort = allowed.SelectMany(rule => rule.Child("ports").Items().Select(p => (Rule: rule, Port: p.Text("port")))).ToList();
        var app = Assert.Single(byPort, r => r.Port == appPort);
        Assert.Equal(["ingress-nginx"], Namespaces(app.Rule));
        Assert.Single(app.Rule.Child("from").Items());
        // daprd's internal gRPC port (sidecar to sidecar: workflow actors of the one app id), from its own pods only.
        var internalGrpc = Assert.Single(byPort, r => r.Port == "50002");
        var peers = internalGrpc.Rule.Child("from").Items().Single().Child("podSelector").Child("matchExpressions").Items().Single();
        Assert.Equal(("app.kubernetes.io/name", "In"), (peers.Text("key"), peers.Text("operator")));
        Assert.Equal([DaprNames.AppIds.DocumentApi, "document-pipeline"], peers.Child("values").Strings().Order());
        Assert.Equal(["observability"], Namespaces(Assert.Single(byPort, r => r.Port == "9090").Rule));
        Assert.Equal(3, byPort.Count);
        Assert.All(allowed, rule => Assert.NotEmpty(rule.Child("from").Items()));

        // The pipeline role has no public port at all.
        var pipeline = resources.Single(r => r.Kind == "NetworkPolicy"
            && r.Node.Child("spec").Child("podSelector").Child("matchLabels").Text("app.kubernetes.io/name") == "document-pipeline");
        Assert.Equal(["50002", "9090"], pipeline.Node.Child("spec").Child("ingress").Items().SelectMany(rule => rule.Child("ports").Items().Select(p => p.Text("port")!)).Order());
    }

    private static List<string> Namespaces(YamlNode rule) =>
        rule.Child("from").Items().Select(f => f.Child("namespaceSelector").Child("matchLabels").Text("kubernetes.io/metadata.name"))
            .OfType<string>().ToList();
}
