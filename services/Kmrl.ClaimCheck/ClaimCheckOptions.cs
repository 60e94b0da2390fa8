using System.ComponentModel.DataAnnotations;
using Kmrl.Contracts;

namespace Kmrl.ClaimCheck;

public sealed class ClaimCheckOptions
{
    public const string SectionName = "ClaimCheck";

    /// <summary>
    /// Bytes per chunk. daprd and DaprClient's channel both refuse gRPC messages over 4 MB by default, and a
    /// chunk travels with its envelope, so the ceiling stays well below that.
    /// </summary>
    [Range(4 * 1024, 3 * 1024 * 1024)]
    public int ChunkSizeBytes { get; set; } = 1024 * 1024;

    /// <summary>Name of the Dapr output binding that holds the content.</summary>
    [Required]
    public string BindingName { get; set; } = DaprNames.Components.BlobStore;
}
