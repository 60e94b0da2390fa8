using Microsoft.Extensions.Options;

namespace Kmrl.Connectors.LocalFolder;

/// <summary>Section <c>LocalFolder</c>: the hot folders this connector watches (none configured: the app idles).</summary>
public sealed class LocalFolderOptions
{
    public const string SectionName = "LocalFolder";

    public List<HotFolderOptions> Folders { get; set; } = [];
}

/// <summary>One hot folder: where a scanner (or anyone) drops files, and where they go once handed on.</summary>
public sealed class HotFolderOptions
{
    /// <summary>The source name (checkpoint key, metrics tag), e.g. <c>scanner/depot-muttom</c>.</summary>
    public string Name { get; set; } = "";

    /// <summary>The watched folder; only the files directly in it are read (subfolders are not).</summary>
    public string Path { get; set; } = "";

    /// <summary>
    /// Where a file goes once its checkpoint is stored. Default: a <c>processed</c> folder inside <see cref="Path"/>,
    /// on the same file system, so the move is a rename.
    /// </summary>
    public string? ProcessedPath { get; set; }

    /// <summary>
    /// How long a file's size and modification time must stay the same before it is handed on: a scanner writes a
    /// multi-page PDF for a while, and a half-written file must not be read.
    /// </summary>
    public TimeSpan SettleTime { get; set; } = TimeSpan.FromSeconds(30);

    public string ProcessedFolder => string.IsNullOrWhiteSpace(ProcessedPath) ? System.IO.Path.Combine(Path, "processed") : ProcessedPath;
}

/// <summary>Fails start-up with the setting to fix: a missing name or path, a name used twice, a processed folder that is the inbox.</summary>
internal sealed class LocalFolderOptionsValidator : IValidateOptions<LocalFolderOptions>
{
    public ValidateOptionsResult Validate(string? name, LocalFolderOptions options)
    {
        var failures = new List<string>();
        for (var i = 0; i < options.Folders.Count; i++)
        {
            var folder = options.Folders[i];
            var at = $"{LocalFolderOptions.SectionName}:Folders:{i}";
            if (string.IsNullOrWhiteSpace(folder.Name))
            {
                failures.Add($"{at}:Name is empty; name the folder (it keys the checkpoint), e.g. \"scanner/depot\".");
            }
            if (string.IsNullOrWhiteSpace(folder.Path))
            {
                failures.Add($"{at}:Path is empty; set the folder the scanner writes to.");
            }
            else if (SamePath(folder.Path, folder.ProcessedFolder))
            {
                failures.Add($"{at}:ProcessedPath must not be the watched folder itself ({folder.Path}): handed files would be read again.");
            }
            if (folder.SettleTime < TimeSpan.Zero)
            {
                failures.Add($"{at}:SettleTime is {folder.SettleTime}; it must not be negative.");
            }
        }
        failures.AddRange(options.Folders.GroupBy(f => f.Name, StringComparer.Ordinal).Where(g => g.Count() > 1)
            .Select(g => $"{LocalFolderOptions.SectionName}:Folders: the name '{g.Key}' is used twice; each folder needs its own (its checkpoint key)."));
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static bool SamePath(string a, string b) =>
        string.Equals(System.IO.Path.GetFullPath(a).TrimEnd(System.IO.Path.DirectorySeparatorChar),
            System.IO.Path.GetFullPath(b).TrimEnd(System.IO.Path.DirectorySeparatorChar), StringComparison.Ordinal);
}
