using Kmrl.BuildingBlocks.Secrets;
using Kmrl.Connectors.Hosting;
using Kmrl.Connectors.Maximo.Export;
using Kmrl.Connectors.Maximo.RemoteFolders;
using Kmrl.Connectors.Maximo.Rest;
using Kmrl.Contracts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Kmrl.Connectors.Maximo.Tests;

public sealed class MaximoSourcesRegistrationTests
{
    [Fact]
    public void Each_configured_object_structure_and_export_folder_becomes_a_source()
    {
        using var provider = Build(new()
        {
            ["Maximo:Rest:0:Name"] = "maximo/mxapiwodetail",
            ["Maximo:Rest:0:BaseUrl"] = "https://maximo.example",
            ["Maximo:Rest:0:Secret"] = "maximo",
            ["Maximo:Rest:1:Name"] = "maximo/mxapiasset",
            ["Maximo:Rest:1:BaseUrl"] = "https://maximo.example",
            ["Maximo:Rest:1:Secret"] = "maximo",
            ["Maximo:Rest:1:ObjectStructure"] = "mxapiasset",
            ["Maximo:Rest:1:KeyField"] = "assetnum",
            ["Maximo:ExportFolders:0:Name"] = "maximo-export/workorders",
            ["Maximo:ExportFolders:0:Folder"] = "/exports",
            ["Maximo:ExportFolders:0:Server:Protocol"] = "Sftp",
            ["Maximo:ExportFolders:0:Server:Host"] = "sftp.example",
            ["Maximo:ExportFolders:0:Server:UserName"] = "maximo",
            ["Maximo:ExportFolders:0:Server:Secret"] = "maximo-sftp",
            ["Maximo:ExportFolders:0:Server:HostKeySha256"] = "SHA256:abc",
        });

        var sources = provider.GetServices<IDocumentSource>().ToList();

        Assert.Equal(["maximo/mxapiwodetail", "maximo/mxapiasset", "maximo-export/workorders"], sources.Select(s => s.Name));
        Assert.IsType<MaximoRestSource>(sources[0]);
        Assert.IsType<ExportFolderSource>(sources[2]);
        var host = provider.GetRequiredService<IOptions<ConnectorHostOptions>>().Value;
        Assert.Equal(DocumentSources.MaximoExport, host.EventSourceFor("maximo-export/workorders"));
    }

    [Fact]
    public void An_sftp_folder_without_a_pinned_host_key_is_refused_at_start()
    {
        using var provider = Build(new()
        {
            ["Maximo:ExportFolders:0:Name"] = "maximo-export/x",
            ["Maximo:ExportFolders:0:Folder"] = "/exports",
            ["Maximo:ExportFolders:0:Server:Protocol"] = "Sftp",
            ["Maximo:ExportFolders:0:Server:Host"] = "sftp.example",
            ["Maximo:ExportFolders:0:Server:UserName"] = "maximo",
            ["Maximo:ExportFolders:0:Server:Secret"] = "key",
        });

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<MaximoSourcesOptions>>().Value);

        Assert.Contains(error.Failures, f => f.Contains("HostKeySha256", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Maximo:Rest:0:Secret", "maximo:api-key")]
    [InlineData("Maximo:ExportFolders:0:Server:Secret", "maximo:ftp-password")]
    public void A_secret_name_kubernetes_cannot_hold_is_refused_at_start(string key, string value)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Maximo:Rest:0:Name"] = "maximo/mxapiwodetail",
            ["Maximo:Rest:0:BaseUrl"] = "https://maximo.example",
            ["Maximo:Rest:0:Secret"] = "maximo",
            ["Maximo:ExportFolders:0:Name"] = "maximo-export/x",
            ["Maximo:ExportFolders:0:Folder"] = "/exports",
            ["Maximo:ExportFolders:0:Server:Protocol"] = "Ftp",
            ["Maximo:ExportFolders:0:Server:AllowInsecureFtp"] = "true",
            ["Maximo:ExportFolders:0:Server:Host"] = "ftp.example",
            ["Maximo:ExportFolders:0:Server:UserName"] = "maximo",
            ["Maximo:ExportFolders:0:Server:Secret"] = "maximo-export",
        };
        settings[key] = value;
        using var provider = Build(settings);

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<MaximoSourcesOptions>>().Value);

        Assert.Contains(error.Failures, f => f.Contains("Kubernetes secret name", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_sftp_secret_with_neither_a_private_key_nor_a_password_fails_before_connecting()
    {
        var server = new RemoteServerOptions { Protocol = RemoteProtocol.Sftp, Host = "sftp.invalid", UserName = "maximo", Secret = "maximo-export", HostKeySha256 = "abc" };
        var connector = new SftpRemoteFolderConnector(server, InMemorySecrets.One("maximo-export", "private-key-passphrase", "p"));

        var error = await Assert.ThrowsAsync<SecretNotFoundException>(() => connector.ConnectAsync(CancellationToken.None));

        Assert.Equal("maximo-export", error.Name);
    }

    [Theory]
    [InlineData("Maximo:Rest:0:BaseUrl", "http://maximo.example", "AllowInsecureHttp")]
    [InlineData("Maximo:ExportFolders:0:Server:Protocol", "Ftp", "AllowInsecureFtp")]
    public void Clear_text_http_or_ftp_is_refused_at_start_unless_the_lab_opt_out_is_set(string key, string value, string optOut)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Maximo:Rest:0:Name"] = "maximo/mxapiwodetail",
            ["Maximo:Rest:0:BaseUrl"] = "https://maximo.example",
            ["Maximo:Rest:0:Secret"] = "maximo",
            ["Maximo:ExportFolders:0:Name"] = "maximo-export/x",
            ["Maximo:ExportFolders:0:Folder"] = "/exports",
            ["Maximo:ExportFolders:0:Server:Protocol"] = "Ftps",
            ["Maximo:ExportFolders:0:Server:Host"] = "ftp.example",
            ["Maximo:ExportFolders:0:Server:UserName"] = "maximo",
            ["Maximo:ExportFolders:0:Server:Secret"] = "maximo-export",
        };
        settings[key] = value;
        using (var provider = Build(settings))
        {
            var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<MaximoSourcesOptions>>().Value);
            Assert.Contains(error.Failures, f => f.Contains(optOut, StringComparison.Ordinal) && f.Contains("clear text", StringComparison.Ordinal));
        }

        settings[key[..key.LastIndexOf(':')] + ":" + optOut] = "true";
        using var optedOut = Build(settings);
        Assert.NotNull(optedOut.GetRequiredService<IOptions<MaximoSourcesOptions>>().Value);
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<ISecretProvider>(new InMemorySecrets());
        services.AddMaximoSources(configuration);
        return services.BuildServiceProvider();
    }
}
