using System.Text.Json.Serialization;

namespace Kmrl.Connectors.Maximo.Export;

/// <summary>What identifies a version of a file: its size and modification time.</summary>
public sealed record FileStamp(
    [property: JsonPropertyName("s")] long Size,
    [property: JsonPropertyName("m")] DateTimeOffset Modified);

/// <summary>
/// The export folder's checkpoint: files seen once and waiting to prove stable (<see cref="Pending"/>), and files
/// already handed on (<see cref="Handed"/>), both by path. Handed entries are dropped once the file is gone
/// (archived or deleted), so in archive mode the checkpoint stays small.
/// </summary>
public sealed record ExportFolderCheckpoint(
    [property: JsonPropertyName("pending")] IReadOnlyDictionary<string, FileStamp> Pending,
    [property: JsonPropertyName("handed")] IReadOnlyDictionary<string, FileStamp> Handed)
{
    /// <summary>The first run's (and an unreadable checkpoint's: <see cref="Checkpoints.Read{T}"/>) starting point.</summary>
    public static ExportFolderCheckpoint Empty { get; } = new(new Dictionary<string, FileStamp>(), new Dictionary<string, FileStamp>());
}
