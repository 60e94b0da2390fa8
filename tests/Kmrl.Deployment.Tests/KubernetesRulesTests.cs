using Kmrl.Contracts;

namespace Kmrl.Deployment.Tests;

public sealed class KubernetesRulesTests
{
    private static readonly IReadOnlySet<string> AppIds = DaprNames.AppIds.All.ToHashSet();

    [Theory]
    [InlineData("local")]
    [InlineData("production")]
    public void Each_overlay_renders_every_app_with_a_pinned_image_in_the_kmrl_namespace(string overlay)
    {
        var resources = KustomizeRenderer.Render(Path.Combine(RepositoryRoot.Find(), "k8s", "overlays", overlay));

        var apps = resources.Where(r => r.Kind == "Deployment" && r.Name is not ("redis" or "postgres")).ToList();
        // document-api runs as two Deployments (intake and pipeline roles) of one app id.
        Assert.Equal(DaprNames.AppIds.All.Append(PipelineDeployment).Order(), apps.Select(a => a.Name).Order());
        Assert.Equal(DaprNames.AppIds.All.Order(), apps.Select(AppId).Distinct().Order());
        Assert.All(apps, app => Assert.EndsWith(":0.1.0", KustomizeRenderer.Containers(app).Single().Text("image")));
        Assert.All(resources.Where(r => r.Kind != "Namespace"), r => Assert.Equal("kmrl", r.Node.Child("metadata").Text("namespace")));
    }

    [Fact]
    public void The_local_overlay_mounts_the_blob_volume_into_every_sidecar()
    {
        var resources = KustomizeRenderer.Render(Path.Combine(RepositoryRoot.Find(), "k8s", "overlays", "local"));

        foreach (var app in resources.Where(r => r.Kind == "Deployment" && r.Name is not ("redis" or "postgres")))
        {
            var template = app.Node.Child("spec").Child("template");
            Assert.Equal("blobs:/data/blobs", template.Child("metadata").Child("annotations").Text("dapr.io/volume-mounts-rw"));
            var volumes = template.Child("spec").Child("volumes").Items().Select(v => v.Text("name")).ToList();
            Assert.Contains("blobs", volumes);
            Assert.Contains("tmp", volumes);
        }
    }

    private const string PipelineDeployment = "document-pipeline";

    private static string AppId(KustomizeRenderer.Resource deployment) =>
        deployment.Node.Child("spec").Child("template").Child("metadata").Child("annotations").Text("dapr.io/app-id") ?? string.Empty;

    [Theory]
    [InlineData("local")]
    [InlineData("production")]
    public void Document_api_runs_as_an_intake_and_a_pipeline_deployment_of_one_image_and_app_id(string overlay)
    {
        var resources = KustomizeRenderer.Render(Path.Combine(RepositoryRoot.Find(), "k8s", "overlays", overlay));

        var intake = resources.Single(r => r.Kind == "Deployment" && r.Name == DaprNames.AppIds.DocumentApi);
        var pipeline = resources.Single(r => r.Kind == "Deployment" && r.Name == PipelineDeployment);
        string Role(KustomizeRenderer.Resource deployment) => KustomizeRenderer.Containers(deployment).Single().Child("env").Items()
            .Single(e => e.Text("name") == "DocumentApi__Role").Text("value") ?? string.Empty;
        Assert.Equal("Intake", Role(intake));
        Assert.Equal("Pipeline", Role(pipeline));
        Assert.Equal(DaprNames.AppIds.DocumentApi, AppId(intake));
        Assert.Equal(DaprNames.AppIds.DocumentApi, AppId(pipeline));
        Assert.Equal(KustomizeRenderer.Containers(intake).Single().Text("image"), KustomizeRenderer.Containers(pipeline).Single().Text("image"));
        // The public Service reaches the intake pods only; each Deployment scales and is disrupted on its own.
        var service = resources.Single(r => r.Kind == "Service" && r.Name == DaprNames.AppIds.DocumentApi);
        Assert.Equal(DaprNames.AppIds.DocumentApi, service.Node.Child("spec").Child("selector").Text("app.kubernetes.io/name"));
        Assert.Contains(resources, r => r.Kind == "HorizontalPodAutoscaler" && r.Node.Child("spec").Child("scaleTargetRef").Text("name") == PipelineDeployment);
        Assert.Contains(resources, r => r.Kind == "PodDisruptionBudget" && r.Name == PipelineDeployment);
    }

    [Fact]
    public void The_production_overlay_raises_the_document_api_autoscaling_floor()
    {
        var resources = KustomizeRenderer.Render(Path.Combine(RepositoryRoot.Find(), "k8s", "overlays", "production"));

        var hpa = resources.Single(r => r.Kind == "HorizontalPodAutoscaler" && r.Name == DaprNames.AppIds.DocumentApi);
        Assert.Equal("3", hpa.Node.Child("spec").Text("minReplicas"));
        Assert.Equal("document-api", hpa.Node.Child("spec").Child("scaleTargetRef").Text("name"));
    }

    [Fact]
    public void An_image_without_a_tag_is_caught()
    {
        using var copy = new RepositoryCopy();
        copy.Replace("k8s/base/kustomization.yaml", "  - name: kmrl/maximo-connector\n    newTag: \"0.1.0\"\n", "");

        Assert.Contains(Check(copy), v => v.Contains("image 'kmrl/maximo-connector' is not pinned to a tag"));
    }

    [Fact]
    public void An_app_port_annotation_that_the_app_does_not_listen_on_is_caught()
    {
        using var copy = new RepositoryCopy();
        copy.Replace("k8s/base/email-connector.yaml", "dapr.io/app-port: \"8080\"", "dapr.io/app-port: \"5101\"");

        Assert.Contains(Check(copy), v => v.Contains("'email-connector': dapr.io/app-port '5101' is not the port the app listens on"));
    }

    [Fact]
    public void A_probe_on_an_endpoint_the_app_does_not_serve_is_caught()
    {
        using var copy = new RepositoryCopy();
        copy.Replace("k8s/base/document-api.yaml", "path: /alive", "path: /healthz");

        Assert.Contains(Check(copy), v => v.Contains("livenessProbe must GET /alive"));
    }

    [Fact]
    public void A_deployment_for_an_unknown_app_id_is_caught()
    {
        using var copy = new RepositoryCopy();
        copy.Replace("k8s/base/whatsapp-connector.yaml", "dapr.io/app-id: whatsapp-connector", "dapr.io/app-id: whatsapp");

        var violations = Check(copy);

        Assert.Contains(violations, v => v.Contains("dapr.io/app-id 'whatsapp' is not an app id"));
        Assert.Contains(violations, v => v.Contains("app id 'whatsapp-connector' has no Deployment"));
    }

    [Fact]
    public void A_component_missing_from_one_overlay_is_caught()
    {
        using var copy = new RepositoryCopy();
        var path = copy.PathOf("k8s/overlays/production/components.yaml");
        var documents = File.ReadAllText(path).Split("\n---\n");
        File.WriteAllText(path, string.Join("\n---\n", documents.Where(d => !d.Contains("name: lockstore"))));

        var violations = Check(copy);

        Assert.Contains(violations, v => v.Contains("component 'lockstore' is in the local overlay but not in production"));
        Assert.Contains(violations, v => v.Contains("'lockstore' is used in code"));
    }

    [Fact]
    public void A_plaintext_secret_in_an_overlay_component_is_caught()
    {
        using var copy = new RepositoryCopy();
        copy.Replace("k8s/overlays/production/components.yaml",
            "    - name: secretKey\n      secretKeyRef:\n        name: kmrl-blobstore\n        key: secret-key",
            "    - name: secretKey\n      value: wJalrXUtnFEMI");

        Assert.Contains(Check(copy), v => v.Contains("'secretKey' of 'blobstore' holds a plaintext value"));
    }

    [Fact]
    public void An_unscoped_overlay_component_is_caught()
    {
        using var copy = new RepositoryCopy();
        copy.Replace("k8s/overlays/local/components.yaml",
            "      value: /data/blobs\nscopes:", "      value: /data/blobs\nunscoped:");

        Assert.Contains(Check(copy), v => v.Contains("'blobstore' has no scopes"));
    }

    [Fact]
    public void A_plaintext_secret_in_a_container_environment_is_caught()
    {
        using var copy = new RepositoryCopy();
        copy.Replace("k8s/base/sharepoint-connector.yaml",
            "            - name: OTEL_SERVICE_NAME",
            "            - name: GRAPH_CLIENT_SECRET\n              value: s3cr3t\n            - name: OTEL_SERVICE_NAME");

        Assert.Contains(Check(copy), v => v.Contains("env 'GRAPH_CLIENT_SECRET' holds a plaintext value"));
    }

    [Fact]
    public void A_pod_allowed_to_run_as_root_is_caught()
    {
        using var copy = new RepositoryCopy();
        copy.Replace("k8s/base/maximo-connector.yaml", "runAsNonRoot: true", "runAsNonRoot: false");

        Assert.Contains(Check(copy), v => v.Contains("'maximo-connector': the pod must set runAsNonRoot: true"));
    }

    [Fact]
    public void An_app_without_a_disruption_budget_is_caught()
    {
        using var copy = new RepositoryCopy();
        copy.Replace("k8s/base/document-api.yaml", "kind: PodDisruptionBudget", "kind: PodDisruptionBudgetV0");

        Assert.Contains(Check(copy), v => v.Contains("'document-api': no PodDisruptionBudget"));
    }

    private static IReadOnlyList<string> Check(RepositoryCopy copy) => KubernetesRules.Check(copy.Root, AppIds);
}
