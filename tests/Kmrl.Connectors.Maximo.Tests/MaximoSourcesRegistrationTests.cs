using Kmrl.Connectors.Hosting;
using Kmrl.Connectors.Maximo.Export;
using Kmrl.Connectors.Maximo.Rest;
using Kmrl.ServiceDefaults.Secrets;
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
            ["Maximo:ExportFolders:0:Server:PrivateKeySecret"] = "maximo-sftp-key",
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
            ["Maximo:ExportFolders:0:Server:PrivateKeySecret"] = "key",
        });

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<MaximoSourcesOptions>>().Value);

        Assert.Contains(error.Failures, f => f.Contains("HostKeySha256", StringComparison.Ordinal));
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<ISecretProvider>(new DictionarySecrets([]));
        services.AddMaximoSources(configuration);
        return services.BuildServiceProvider();
    }
}
