using System.ComponentModel.DataAnnotations;
using Kmrl.Connectors.Maximo.RemoteFolders;

namespace Kmrl.Connectors.Maximo.Export;

/// <summary>One Maximo export folder on an FTP, FTPS or SFTP server.</summary>
public sealed class ExportFolderOptions : IValidatableObject
{
    /// <summary>Source name (checkpoint key), e.g. <c>maximo-export/workorders</c>.</summary>
    [Required]
    public string Name { get; set; } = string.Empty;

    [Required]
    public RemoteServerOptions Server { get; set; } = new();

    /// <summary>Absolute folder on the server that Maximo writes into.</summary>
    [Required]
    public string Folder { get; set; } = string.Empty;

    /// <summary>
    /// When set, a handed-on file is moved here after its checkpoint is stored. When empty, files stay and are
    /// remembered by path + size + modification time in the checkpoint.
    /// </summary>
    public string? ArchiveFolder { get; set; }

    /// <summary>
    /// When set (e.g. <c>.done</c>), a file is ready only once <c>name + suffix</c> exists next to it; otherwise a
    /// file is ready when its size and modification time are unchanged across two polls.
    /// </summary>
    public string? DoneMarkerSuffix { get; set; }

    /// <summary>File extensions to take (e.g. <c>.pdf</c>, <c>.dat</c>); empty = all files.</summary>
    public List<string> Extensions { get; set; } = [];

    /// <summary>How often a download that drops mid-way is resumed from where it stopped.</summary>
    [Range(0, 20)]
    public int ResumeAttempts { get; set; } = 3;

    /// <summary>
    /// Files handed on per checkpoint. The checkpoint names every handed file, so writing it after each file makes a
    /// first sync of N files write O(N²) bytes; a batch bounds that, and a crash re-publishes at most one batch
    /// (the same idempotency keys, dropped downstream).
    /// </summary>
    [Range(1, 10_000)]
    public int CheckpointEveryFiles { get; set; } = 200;

    /// <summary>Bytes handed on per checkpoint at most, so a batch of large files is not re-read whole after a crash.</summary>
    [Range(1, long.MaxValue)]
    public long CheckpointEveryBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>
    /// Time since the last checkpoint at most: a run the host stops at its lock lease's deadline has stored its
    /// progress, so the next run goes on from there instead of starting the same batch again.
    /// </summary>
    public TimeSpan CheckpointEveryInterval { get; set; } = TimeSpan.FromSeconds(2);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Folder.StartsWith('/'))
        {
            yield return new ValidationResult("Folder must be an absolute path.", [nameof(Folder)]);
        }
        if (CheckpointEveryInterval <= TimeSpan.Zero)
        {
            yield return new ValidationResult("CheckpointEveryInterval must be above zero.", [nameof(CheckpointEveryInterval)]);
        }
        if (ArchiveFolder is { Length: > 0 } archive && !archive.StartsWith('/'))
        {
            yield return new ValidationResult("ArchiveFolder must be an absolute path.", [nameof(ArchiveFolder)]);
        }
    }
}
