using Kmrl.Contracts;

namespace Kmrl.Deployment.Tests;

/// <summary>`dapr run -f .` as the CLI runs it; each broken copy puts back what the repository had before (a98dd33).</summary>
public sealed class RunTemplateRulesTests
{
    [Fact]
    public void Every_sidecar_opens_the_one_secrets_file_and_the_one_blob_folder_at_the_repository_root()
    {
        var root = RepositoryRoot.Find();
        var template = YamlDocuments.Load(Path.Combine(root, "dapr.yaml")).Single();

        var resolved = RunTemplateRules.ResolvedComponentPaths(root, template.Child("common"), template.Child("apps").Items()).ToList();

        // Every app reads secrets; all but notifications (which sends messages, not documents) hold blobs.
        Assert.Equal(DaprNames.AppIds.All.Count, resolved.Count(r => r.Field == "secretsFile"));
        Assert.Equal(DaprNames.AppIds.All.Count - 1, resolved.Count(r => r.Field == "rootPath"));
        Assert.All(resolved.Where(r => r.Field == "secretsFile"), r => Assert.Equal(Path.Combine(root, "secrets.json"), r.Resolved));
        Assert.All(resolved.Where(r => r.Field == "rootPath"), r => Assert.Equal(Path.Combine(root, ".data", "blobs"), r.Resolved));
    }

    [Fact]
    public void A_secrets_file_written_relative_to_the_repository_root_is_caught()
    {
        using var copy = new RepositoryCopy();
        copy.Replace("components/secretstore.yaml", "value: ../../secrets.json", "value: ./secrets.json");

        var violations = RunTemplateRules.Check(copy.Root);

        Assert.Contains(violations, v => v.Contains("app 'document-api' opens secretstore.secretsFile at 'services/Kmrl.DocumentApi/secrets.json', not 'secrets.json'"));
        Assert.Contains(violations, v => v.Contains("the apps open secretsFile at different places"));
    }

    [Fact]
    public void A_blob_root_that_gives_every_app_its_own_folder_is_caught()
    {
        using var copy = new RepositoryCopy();
        copy.Replace("components/blobstore.yaml", "value: ../../.data/blobs", "value: ./.data/blobs");

        var violations = RunTemplateRules.Check(copy.Root);

        Assert.Contains(violations, v => v.Contains("app 'email-connector' opens blobstore.rootPath at 'services/Kmrl.Connectors.Email/.data/blobs'"));
        Assert.Contains(violations, v => v.Contains("the apps open rootPath at different places"));
    }

    [Fact]
    public void A_relative_path_in_a_component_the_rules_do_not_resolve_is_caught()
    {
        using var copy = new RepositoryCopy();
        File.WriteAllText(copy.PathOf("components/wasm.yaml"), """
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata:
              name: filter
            spec:
              type: middleware.http.wasm
              version: v1
              metadata:
                - name: url
                  value: ./filter.wasm
            scopes:
              - document-api
            """);

        Assert.Contains(RunTemplateRules.Check(copy.Root), v => v.Contains("'url' of 'filter' (middleware.http.wasm) looks like a relative path"));
    }

    [Fact]
    public void An_app_that_builds_itself_on_start_is_caught()
    {
        using var copy = new RepositoryCopy();
        copy.Replace("dapr.yaml",
            "command: [\"dotnet\", \"run\", \"--no-build\", \"--no-launch-profile\", \"--urls\", \"http://localhost:5103\"]",
            "command: [\"dotnet\", \"run\", \"--no-launch-profile\", \"--urls\", \"http://localhost:5103\"]");

        Assert.Contains(RunTemplateRules.Check(copy.Root), v => v.Contains("app 'maximo-connector' runs `dotnet run` without --no-build"));
    }

    [Fact]
    public void A_readme_without_the_build_step_is_caught()
    {
        using var copy = new RepositoryCopy();
        copy.Replace("README.md", "dotnet build Kmrl.Dapr.sln ", "");

        Assert.Contains(RunTemplateRules.Check(copy.Root), v => v.Contains("no `dotnet build Kmrl.Dapr.sln` step before `dapr run -f .`"));
    }

    [Fact]
    public void A_build_of_another_configuration_than_the_one_run_is_caught()
    {
        using var copy = new RepositoryCopy();
        copy.Replace("README.md", "dotnet build Kmrl.Dapr.sln ", "dotnet build Kmrl.Dapr.sln -c Release ");

        Assert.Contains(RunTemplateRules.Check(copy.Root), v => v.Contains("app 'document-api' runs configuration Debug, but the README builds Release"));
    }

    [Fact]
    public void Daprd_logs_written_to_files_only_are_caught()
    {
        using var copy = new RepositoryCopy();
        copy.Replace("dapr.yaml", "daprdLogDestination: fileAndConsole", "daprdLogDestination: file");

        Assert.Contains(RunTemplateRules.Check(copy.Root), v => v.Contains("daprd logs of 'whatsapp-connector' go to 'file' only"));
    }

    [Fact]
    public void An_init_step_without_the_pinned_runtime_and_an_older_claim_are_caught()
    {
        using var copy = new RepositoryCopy();
        copy.Replace("README.md", "dapr init --runtime-version " + RunTemplateRules.MinimumRuntimeVersion + " ", "dapr init ");
        copy.Replace("docs/operations.md", "`dapr init -k --runtime-version " + RunTemplateRules.MinimumRuntimeVersion + "`",
            "`dapr init -k --runtime-version 1.16.2`, Dapr 1.16+");

        var violations = RunTemplateRules.Check(copy.Root);

        Assert.Contains(violations, v => v.StartsWith("README.md: does not install runtime " + RunTemplateRules.MinimumRuntimeVersion, StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Contains("docs/operations.md: names runtime 1.16.2"));
        Assert.Contains(violations, v => v.Contains("docs/operations.md: claims 'Dapr 1.16+'"));
    }

    [Fact]
    public void The_pinned_runtime_has_every_api_and_field_the_code_and_manifests_use()
    {
        var pinned = Version.Parse(RunTemplateRules.MinimumRuntimeVersion);

        Assert.True(pinned >= new Version(1, 17), "GetInstanceHistory (GET /documents/{id}/events) and workflow.stateRetentionPolicy need 1.17");
        Assert.True(pinned >= new Version(1, 17, 2), "the Configuration CRD takes stateRetentionPolicy durations as strings from 1.17.2 (dapr/dapr#9612)");
    }

    [Fact]
    public void A_missing_local_configuration_file_and_an_unknown_field_in_it_are_caught()
    {
        using (var copy = new RepositoryCopy())
        {
            File.Delete(copy.PathOf("dapr-config/document-api.yaml"));
            Assert.Contains(RunTemplateRules.Check(copy.Root), v => v.Contains("configFilePath of document-api ('dapr-config/document-api.yaml') does not exist"));
        }
        using (var copy = new RepositoryCopy())
        {
            copy.Replace("dapr-config/document-api.yaml", "      completed: 168h", "      completed: 168h\n      running: 1h");
            Assert.Contains(RunTemplateRules.Check(copy.Root), v => v.Contains("spec.workflow.stateRetentionPolicy.running: unknown field"));
        }
    }
}
