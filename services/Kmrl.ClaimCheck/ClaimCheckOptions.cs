using System.ComponentModel.DataAnnotations;
using Kmrl.Contracts;

namespace Kmrl.ClaimCheck;

public sealed class ClaimCheckOptions
{
    public const string SectionName = "ClaimCheck";

    /// <summary>The largest chunk whose base64 request still fits daprd's default 4 MiB gRPC limit with room to spare.</summary>
    public const int MaxChunkSizeBytes = 5 * 512 * 1024;

    /// <summary>
    /// Bytes per chunk. daprd and DaprClient's channel both refuse gRPC messages over 4 MiB by default, and a
    /// chunk travels base64-encoded (a third larger) with its envelope: 2.5 MiB becomes about 3.4 MiB on the wire.
    /// </summary>
    [Range(4 * 1024, MaxChunkSizeBytes)]
    public int ChunkSizeBytes { get; set; } = 1024 * 1024;

    /// <summary>Name of the Dapr output binding that holds the content.</summary>
    [Required]
    public string BindingName { get; set; } = DaprNames.Components.BlobStore;
}
