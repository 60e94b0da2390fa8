using System.Text.RegularExpressions;

namespace Kmrl.Deployment.Tests;

/// <summary>
/// k8s/monitoring gives the alert rules their series: a PodMonitor that scrapes the port every app container names
/// <c>http</c> at <c>/metrics</c>, and blackbox TLS probes under the job the certificate rule reads, for the mail and
/// FTPS servers. A rule whose job no probe fills never fires, and promtool's unit tests cannot see that.
/// </summary>
public sealed partial class MonitoringResourcesTests
{
    private static string Root => RepositoryRoot.Find();

    [Fact]
    public void The_pod_monitor_scrapes_metrics_on_the_http_port_of_every_app_pod()
    {
        var monitoring = KustomizeRenderer.Render(Path.Combine(Root, "k8s", "monitoring"));
        var monitor = Assert.Single(monitoring, r => r.Kind == "PodMonitor");
        var selector = monitor.Node.Child("spec").Child("selector").Child("matchLabels");
        var endpoint = Assert.Single(monitor.Node.Child("spec").Child("podMetricsEndpoints").Items());
        Assert.Equal(("http", "/metrics"), (endpoint.Text("port"), endpoint.Text("path")));

        var deployments = KustomizeRenderer.Render(Path.Combine(Root, "k8s", "overlays", "production")).Where(r => r.Kind == "Deployment").ToList();
        Assert.NotEmpty(deployments);
        foreach (var deployment in deployments)
        {
            var template = deployment.Node.Child("spec").Child("template");
            var labels = template.Child("metadata").Child("labels");
            foreach (var (key, value) in ((YamlDotNet.RepresentationModel.YamlMappingNode)selector!).Children)
            {
                Assert.True(labels.Text(key.ToString()) == value.ToString(), $"{deployment.Name}: its pods lack the label {key}={value} the PodMonitor selects");
            }
            var app = template.Child("spec").Child("containers").Items().First();
            Assert.True(app.Child("ports").Items().Any(p => p.Text("name") == "http"), $"{deployment.Name}: its app container has no port named http");
        }
    }

    [Fact]
    public void The_certificate_rule_reads_a_job_that_probes_probe_the_mail_and_ftps_servers_in()
    {
        var monitoring = KustomizeRenderer.Render(Path.Combine(Root, "k8s", "monitoring"));
        var rules = File.ReadAllText(Path.Combine(Root, "k8s", "monitoring", "prometheus-rules.yaml"));
        var job = CertificateJob().Match(rules);
        Assert.True(job.Success, "the certificate rule names no job");

        var probes = monitoring.Where(r => r.Kind == "Probe" && r.Node.Child("spec").Text("jobName") == job.Groups[1].Value).ToList();
        var targets = probes.SelectMany(p => p.Node.Child("spec").Child("targets").Child("staticConfig").Child("static").Strings()).ToList();
        Assert.All(probes, p => Assert.False(string.IsNullOrEmpty(p.Node.Child("spec").Text("module"))));
        Assert.Contains(targets, t => t.StartsWith("mail.", StringComparison.Ordinal) && t.EndsWith(":993", StringComparison.Ordinal));
        Assert.Contains(targets, t => t.StartsWith("ftps.", StringComparison.Ordinal));
    }

    [GeneratedRegex(@"probe_ssl_earliest_cert_expiry\{job=""([^""]+)""\}", RegexOptions.None, 1000)]
    private static partial Regex CertificateJob();
}
