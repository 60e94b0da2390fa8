using Kmrl.Contracts;
using Kmrl.ServiceDefaults.Security;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using YamlDotNet.RepresentationModel;

namespace Kmrl.Deployment.Tests;

/// <summary>
/// The overlays as kustomize renders them: document-api's intake and pipeline Deployments share one PostgreSQL search
/// index (production: the operator's server, the connection string from a Secret; local: an in-cluster one), and in
/// production the intake pods sign staff in with Entra ID. The
/// settings are also read back as the app reads them (environment variables, "__" for ":"), so a misspelt name fails here.
/// </summary>
public sealed class SearchAndSignInOverlayTests
{
    private const string Intake = DaprNames.AppIds.DocumentApi;
    private const string Pipeline = "document-pipeline";
    // Kmrl.DocumentApi's SearchEngines.Postgres and its SignIn section (StaffPagesExtensions.SignInSection).
    private const string PostgresEngine = "postgres";
    private const string SignInSection = "DocumentApi:SignIn";

    private static readonly IReadOnlyList<KustomizeRenderer.Resource> Production =
        KustomizeRenderer.Render(Path.Combine(RepositoryRoot.Find(), "k8s", "overlays", "production"));

    [Theory]
    [InlineData(Intake)]
    [InlineData(Pipeline)]
    public void Intake_and_pipeline_search_one_PostgreSQL_index_whose_connection_string_comes_from_a_secret(string deployment)
    {
        var env = EnvironmentOf(Production, deployment);

        Assert.Equal(PostgresEngine, env["Search__Engine"].Text("value"));
        var connection = env["Search__Postgres__ConnectionString"];
        Assert.Null(connection.Child("value"));
        var secret = connection.Child("valueFrom").Child("secretKeyRef");
        Assert.Equal(("kmrl-search-postgres", "connection-string"), (secret.Text("name"), secret.Text("key")));
        // The operator creates that secret by the documented command; the test rules check its keys against this reference.
        Assert.Contains("connection-string", SecretReferenceRules.KubectlSecrets(Path.Combine(RepositoryRoot.Find(), "docs", "operations.md"))["kmrl-search-postgres"]);
    }

    [Fact]
    public void The_intake_pods_sign_staff_in_with_Entra_ID_from_the_operators_settings_and_the_app_reads_them_as_entra()
    {
        var env = EnvironmentOf(Production, Intake);

        Assert.Equal(StaffSignInModes.Entra, env["DocumentApi__SignIn__Mode"].Text("value"));
        foreach (var (variable, key) in new[] { ("DocumentApi__SignIn__Entra__TenantId", "tenant-id"), ("DocumentApi__SignIn__Entra__ClientId", "client-id") })
        {
            Assert.Null(env[variable].Child("value"));
            var reference = env[variable].Child("valueFrom").Child("configMapKeyRef");
            Assert.Equal(("kmrl-staff-sign-in", key), (reference.Text("name"), reference.Text("key")));
        }
        // TLS ends at the ingress: without the forwarded scheme the handler would send Entra an http redirect URI.
        Assert.Equal("true", env["ASPNETCORE_FORWARDEDHEADERS_ENABLED"].Text("value"));

        var options = AsTheAppReadsIt(env).GetSection(SignInSection).Get<StaffSignInOptions>()!;
        Assert.Equal(StaffSignInModes.Entra, StaffSignIn.EffectiveMode(options, new HostingEnvironment { EnvironmentName = Environments.Production }));
        Assert.Equal("tenant-from-configmap", options.Entra.TenantId);
        Assert.Equal("client-from-configmap", options.Entra.ClientId);
        // The client secret is read through the Dapr secret store, which the sidecar's scope must allow.
        Assert.Contains(options.Entra.ClientSecretName, AllowedSecrets("kmrl-config"));
    }

    [Theory]
    [InlineData(Intake)]
    [InlineData(Pipeline)]
    public void The_local_overlay_shares_one_index_too_in_its_own_PostgreSQL_through_the_same_secret_reference_without_a_password(string deployment)
    {
        var local = KustomizeRenderer.Render(Path.Combine(RepositoryRoot.Find(), "k8s", "overlays", "local"));
        var env = EnvironmentOf(local, deployment);

        Assert.Equal(PostgresEngine, env["Search__Engine"].Text("value"));
        var reference = env["Search__Postgres__ConnectionString"].Child("valueFrom").Child("secretKeyRef");
        var secret = local.Single(r => r.Kind == "Secret" && r.Name == reference.Text("name"));
        var connection = new System.Data.Common.DbConnectionStringBuilder
        {
            ConnectionString = secret.Node.Child("stringData").Text(reference.Text("key")!),
        };
        Assert.False(connection.ContainsKey("Password"));
        var service = local.Single(r => r.Kind == "Service" && r.Name == (string)connection["Host"]);
        var server = local.Single(r => r.Kind == "Deployment" && r.Name == service.Node.Child("spec").Child("selector").Text("app.kubernetes.io/name"));
        Assert.StartsWith("postgres:", KustomizeRenderer.Containers(server).Single().Text("image"), StringComparison.Ordinal);
        Assert.Equal("trust", KustomizeRenderer.Containers(server).Single().Child("env").Items().Single(e => e.Text("name") == "POSTGRES_HOST_AUTH_METHOD").Text("value"));
    }

    [Fact]
    public void Only_the_production_intake_pods_carry_sign_in_settings_the_pipeline_and_the_local_overlay_have_none()
    {
        Assert.DoesNotContain(EnvironmentOf(Production, Pipeline).Keys, name => name.StartsWith("DocumentApi__SignIn", StringComparison.Ordinal));
        var local = KustomizeRenderer.Render(Path.Combine(RepositoryRoot.Find(), "k8s", "overlays", "local"));
        Assert.DoesNotContain(EnvironmentOf(local, Intake).Keys, name => name.StartsWith("DocumentApi__SignIn", StringComparison.Ordinal));
    }

    private static Dictionary<string, YamlNode> EnvironmentOf(IReadOnlyList<KustomizeRenderer.Resource> resources, string deployment) =>
        KustomizeRenderer.Containers(resources.Single(r => r.Kind == "Deployment" && r.Name == deployment)).Single()
            .Child("env").Items().ToDictionary(e => e.Text("name")!, e => e, StringComparer.Ordinal);

    /// <summary>The container's variables as configuration, with each ConfigMap or Secret reference given a stand-in value.</summary>
    private static IConfiguration AsTheAppReadsIt(Dictionary<string, YamlNode> env) =>
        new ConfigurationBuilder().AddInMemoryCollection(env.Select(pair => new KeyValuePair<string, string?>(
            pair.Key.Replace("__", ":", StringComparison.Ordinal),
            pair.Value.Text("value") ?? pair.Value.Child("valueFrom").Child("configMapKeyRef").Text("key") switch
            {
                "tenant-id" => "tenant-from-configmap",
                "client-id" => "client-from-configmap",
                _ => "from-a-secret",
            }))).Build();

    private static IEnumerable<string> AllowedSecrets(string configuration) =>
        Production.Single(r => r.Kind == "Configuration" && r.Name == configuration).Node.Child("spec").Child("secrets").Child("scopes").Items()
            .Where(scope => scope.Text("storeName") == DaprNames.Components.SecretStore)
            .SelectMany(scope => scope.Child("allowedSecrets").Strings());
}
