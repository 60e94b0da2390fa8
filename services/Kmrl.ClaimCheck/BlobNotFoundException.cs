namespace Kmrl.ClaimCheck;

public sealed class BlobNotFoundException(string key)
    : Exception($"Blob '{key}' is not in the blob store (no manifest).")
{
    public string Key { get; } = key;
}
