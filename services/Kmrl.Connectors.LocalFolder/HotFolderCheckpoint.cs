using System.Text.Json.Serialization;

namespace Kmrl.Connectors.LocalFolder;

/// <summary>A version of a file: its size and modification time, and (while it waits to settle) when it was first seen so.</summary>
public sealed record FileVersion(
    [property: JsonPropertyName("size")] long Size,
    [property: JsonPropertyName("modified")] DateTimeOffset Modified,
    [property: JsonPropertyName("seen")] DateTimeOffset Seen)
{
    public bool SameAs(FileVersion other) => Size == other.Size && Modified == other.Modified;
}

/// <summary>
/// The hot folder's checkpoint, by file name: files seen and waiting to settle (<see cref="Pending"/>), and files
/// handed on whose move to the processed folder has not been seen to finish (<see cref="Handed"/>). Both only hold
/// files still in the folder, so the checkpoint stays as small as the folder.
/// </summary>
public sealed record HotFolderCheckpoint(
    [property: JsonPropertyName("pending")] IReadOnlyDictionary<string, FileVersion> Pending,
    [property: JsonPropertyName("handed")] IReadOnlyDictionary<string, FileVersion> Handed)
{
    /// <summary>
    /// The first run's start, and that of a run whose checkpoint cannot be read (<see cref="Checkpoints.Read{T}"/>):
    /// the folder is then watched from scratch (files settle again; a file handed but not yet moved is handed again,
    /// and the pipeline's idempotency key drops the repeat).
    /// </summary>
    public static HotFolderCheckpoint Empty { get; } = new(new Dictionary<string, FileVersion>(), new Dictionary<string, FileVersion>());

    public bool SameAs(HotFolderCheckpoint other) =>
        Same(Pending, other.Pending) && Same(Handed, other.Handed);

    private static bool Same(IReadOnlyDictionary<string, FileVersion> a, IReadOnlyDictionary<string, FileVersion> b) =>
        a.Count == b.Count && a.All(pair => b.TryGetValue(pair.Key, out var other) && other == pair.Value);
}
