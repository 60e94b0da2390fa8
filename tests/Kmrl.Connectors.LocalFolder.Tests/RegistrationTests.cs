using System.Text;
using Kmrl.Contracts;
using Microsoft.Extensions.Options;

namespace Kmrl.Connectors.LocalFolder.Tests;

/// <summary>The app's registration (<c>AddLocalFolderSources</c>) under the contract host, as Program.cs composes it.</summary>
public sealed class RegistrationTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("kmrl-hot-folder-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private ContractHost Host(Dictionary<string, string?> settings) => new(
        new ContractOptions
        {
            Connector = DocumentSources.LocalFolder,
            ScheduleBinding = DaprNames.Bindings.LocalFolderSchedule,
            Settings = settings,
        },
        builder => builder.AddLocalFolderSources());

    [Fact]
    public async Task Each_configured_folder_is_a_source_whose_documents_carry_the_local_folder_source()
    {
        var depot = Directory.CreateDirectory(Path.Combine(_root, "depot")).FullName;
        var office = Directory.CreateDirectory(Path.Combine(_root, "office")).FullName;
        await File.WriteAllBytesAsync(Path.Combine(office, "minutes.pdf"), Encoding.ASCII.GetBytes("%PDF board minutes"));
        await using var host = Host(new()
        {
            ["LocalFolder:Folders:0:Name"] = "scanner/depot",
            ["LocalFolder:Folders:0:Path"] = depot,
            ["LocalFolder:Folders:1:Name"] = "scanner/office",
            ["LocalFolder:Folders:1:Path"] = office,
            ["LocalFolder:Folders:1:SettleTime"] = "00:00:00",
        });

        var seen = await host.RunAsync("scanner/office");
        var handed = await host.RunAsync("scanner/office");

        Assert.Equal(["scanner/depot", "scanner/office"], host.Sources.Select(s => s.Name));
        Assert.Empty(seen.Documents);
        var discovered = Assert.Single(handed.Documents).Event;
        Assert.Equal(DocumentSources.LocalFolder, discovered.Source);
        Assert.Equal("scanner/office/minutes.pdf", discovered.SourceId);
        Assert.True(File.Exists(Path.Combine(office, "processed", "minutes.pdf")));
    }

    [Fact]
    public void A_folder_without_a_path_a_name_used_twice_and_a_processed_folder_that_is_the_inbox_fail_with_the_setting_to_fix()
    {
        var inbox = Path.Combine(_root, "inbox");
        using var host = Host(new()
        {
            ["LocalFolder:Folders:0:Name"] = "scanner",
            ["LocalFolder:Folders:1:Name"] = "scanner",
            ["LocalFolder:Folders:1:Path"] = inbox,
            ["LocalFolder:Folders:1:ProcessedPath"] = inbox,
        });

        var error = Assert.Throws<OptionsValidationException>(() => host.Sources);

        Assert.Contains("LocalFolder:Folders:0:Path is empty; set the folder the scanner writes to.", error.Failures);
        Assert.Contains(error.Failures, f => f.StartsWith("LocalFolder:Folders:1:ProcessedPath must not be the watched folder itself", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("the name 'scanner' is used twice", StringComparison.Ordinal));
    }
}
