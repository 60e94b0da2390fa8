using System.Text;
using Dapr;
using Kmrl.Dapr.Testing.Components;
using Kmrl.Testing.Servers;

namespace Kmrl.Dapr.Testing.Tests;

/// <summary>Component paths as <c>dapr run -f .</c> resolves them: from each app's appDirPath, never rewritten.</summary>
[Collection(RedisCollection.Name)]
public sealed class RunFilesTests(RedisServer redis)
{
    [Fact]
    public void Opened_in_place_the_run_file_gives_each_app_its_own_folder_ports_command_and_env_as_the_cli_reads_them()
    {
        var layout = RunLayout.Open(RepositoryPaths.RunFile);

        var api = layout.App("document-api");
        Assert.Equal(RepositoryPaths.Root, layout.Root);
        Assert.Equal(Path.Combine(RepositoryPaths.Root, "services", "Kmrl.DocumentApi") + Path.DirectorySeparatorChar, api.AppDirPath);
        Assert.Equal([RepositoryPaths.Components], api.ResourcesPaths);
        // An app's own configFilePath, resolved from its appDirPath: each app has its own Configuration.
        Assert.Equal(Path.Combine(RepositoryPaths.Root, "dapr-config", "document-api.yaml"), api.ConfigFilePath);
        Assert.Equal(layout.Apps.Count, layout.Apps.Select(a => a.ConfigFilePath).Distinct().Count());
        Assert.All(layout.Apps, a => Assert.Equal(Path.Combine(RepositoryPaths.Root, "dapr-config", a.AppId + ".yaml"), a.ConfigFilePath));
        Assert.Equal((5100, 3500, 50001), (api.Settings.AppPort, api.Settings.DaprHttpPort, api.Settings.DaprGrpcPort));
        Assert.Equal(["dotnet", "run", "--no-build"], api.Settings.Command.Take(3));
        Assert.Equal("Development", api.Settings.Env["ASPNETCORE_ENVIRONMENT"]);
        Assert.Equal(Kmrl.Contracts.DaprNames.AppIds.All.Count, layout.Apps.Select(a => a.Settings.AppPort).Distinct().Count());
    }

    [Fact]
    public async Task A_secrets_file_relative_to_the_repository_root_stops_the_sidecar_as_daprd_exits()
    {
        await using var environment = await DaprTestEnvironment.StartAsync(redis, options =>
            options.EditFile("components/secretstore.yaml", yaml => yaml.Replace("../../secrets.json", "./secrets.json", StringComparison.Ordinal)));

        var error = await Assert.ThrowsAsync<ComponentInitException>(() => environment.StartSidecarAsync("document-api"));

        Assert.Equal("secretstore", error.Component);
        Assert.Contains("[INIT_COMPONENT_FAILURE]", error.Message, StringComparison.Ordinal);
        Assert.Contains("open ./secrets.json: no such file or directory", error.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(environment.Layout.Root, "secrets.json")));
    }

    [Fact]
    public async Task The_repository_secrets_file_is_found_from_every_app_directory()
    {
        await using var environment = await DaprTestEnvironment.StartAsync(redis, options =>
            options.Secrets["maximo"] = new Dictionary<string, object> { ["ftp-password"] = "pw" });

        foreach (var app in environment.Layout.Apps)
        {
            var sidecar = await environment.StartSidecarAsync(app.AppId);
            Assert.Equal(app.AppDirPath, sidecar.AppDirPath);
            Assert.Equal(environment.SecretsFile, sidecar.Components.Single(c => c.Name == "secretstore").Get("secretsFile"));
        }
        Assert.Equal(Kmrl.Contracts.DaprNames.AppIds.All.Count, environment.Layout.Apps.Count);
    }

    [Fact]
    public async Task Connectors_and_document_api_share_one_blob_root_under_the_repository_components()
    {
        await using var environment = await DaprTestEnvironment.StartAsync(redis);
        using var email = (await environment.StartSidecarAsync("email-connector")).CreateClient();
        using var api = (await environment.StartSidecarAsync("document-api")).CreateClient();

        await email.InvokeBindingAsync(new global::Dapr.Client.BindingRequest("blobstore", "create") { Data = Encoding.UTF8.GetBytes("chunk"), Metadata = { ["fileName"] = "b/0" } });
        var read = await api.InvokeBindingAsync(new global::Dapr.Client.BindingRequest("blobstore", "get") { Metadata = { ["fileName"] = "b/0" } });

        Assert.Equal("chunk", Encoding.UTF8.GetString(read.Data.Span));
        Assert.Equal(Path.Combine(environment.Layout.Root, ".data", "blobs"), environment.BlobRoot);
    }

    [Fact]
    public async Task A_root_path_relative_to_the_repository_root_gives_each_app_its_own_folder_as_on_real_dapr()
    {
        await using var environment = await DaprTestEnvironment.StartAsync(redis, options =>
            options.EditFile("components/blobstore.yaml", yaml => yaml.Replace("../../.data/blobs", "./.data/blobs", StringComparison.Ordinal)));
        var emailSidecar = await environment.StartSidecarAsync("email-connector");
        var apiSidecar = await environment.StartSidecarAsync("document-api");
        using var email = emailSidecar.CreateClient();
        using var api = apiSidecar.CreateClient();

        await email.InvokeBindingAsync(new global::Dapr.Client.BindingRequest("blobstore", "create") { Data = Encoding.UTF8.GetBytes("chunk"), Metadata = { ["fileName"] = "b/0" } });
        var error = await Assert.ThrowsAsync<DaprException>(() =>
            api.InvokeBindingAsync(new global::Dapr.Client.BindingRequest("blobstore", "get") { Metadata = { ["fileName"] = "b/0" } }));

        Assert.Equal(Path.Combine(emailSidecar.AppDirPath, ".data", "blobs"), emailSidecar.Components.Single(c => c.Name == "blobstore").Get("rootPath"));
        Assert.Equal(Path.Combine(apiSidecar.AppDirPath, ".data", "blobs"), apiSidecar.Components.Single(c => c.Name == "blobstore").Get("rootPath"));
        Assert.Contains("file not found", (error.InnerException ?? error).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_repository_files_are_copied_not_edited()
    {
        var original = await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "components", "blobstore.yaml"));
        await using (var environment = await DaprTestEnvironment.StartAsync(redis, options =>
            options.EditFile("components/blobstore.yaml", yaml => yaml.Replace("../../.data/blobs", "./elsewhere", StringComparison.Ordinal))))
        {
            Assert.Contains("./elsewhere", await File.ReadAllTextAsync(Path.Combine(environment.Layout.Root, "components", "blobstore.yaml")), StringComparison.Ordinal);
            Assert.StartsWith(Path.GetTempPath().TrimEnd('/'), environment.Layout.Root, StringComparison.Ordinal);
        }

        Assert.Equal(original, await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "components", "blobstore.yaml")));
    }
}
