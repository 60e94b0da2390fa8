namespace Kmrl.ClaimCheck;

/// <summary>
/// The blob store as the claim check sees it: named objects small enough for one sidecar call each.
/// The Dapr output binding is the production adapter; anything that stores named bytes can stand in.
/// </summary>
public interface IBlobStorage
{
    Task PutAsync(string name, ReadOnlyMemory<byte> content, CancellationToken cancellationToken);

    /// <summary>The object's bytes, or null when there is no such object.</summary>
    Task<ReadOnlyMemory<byte>?> GetAsync(string name, CancellationToken cancellationToken);

    Task DeleteAsync(string name, CancellationToken cancellationToken);
}
