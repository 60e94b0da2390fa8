using Kmrl.Contracts;

namespace Kmrl.DocumentApi.Model;

/// <summary>
/// What the workflow starts from: one arrival of one document from one source. <see cref="DocumentId"/> is also the
/// workflow instance id, derived from the idempotency key, so a redelivered arrival maps to the same run.
/// </summary>
public sealed record DocumentIntake(
    string DocumentId,
    string IdempotencyKey,
    string Source,
    string SourceId,
    string FileName,
    string DeclaredContentType,
    long Size,
    string Sha256,
    BlobReference Blob,
    IReadOnlyDictionary<string, string> SourceMetadata,
    DateTimeOffset ReceivedAt)
{
    /// <summary>
    /// Whether it came on the bulk lane (the part of a connector run beyond its interactive share): its CPU-bound work
    /// yields to interactive arrivals. False in runs started before the field existed, which is the safe reading.
    /// </summary>
    public bool Bulk { get; init; }

    /// <summary>Prefix of document ids (and workflow instance ids).</summary>
    public const string IdPrefix = "doc-";

    public static string DocumentIdFor(string idempotencyKey)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(idempotencyKey);
        // 32 hex digits (128 bits) of the key are plenty and keep ids readable in URLs and logs.
        var hex = idempotencyKey.Length > 32 ? idempotencyKey[..32] : idempotencyKey;
        return IdPrefix + hex.ToLowerInvariant();
    }

    public static DocumentIntake FromDiscovered(DocumentDiscovered discovered) => new(
        DocumentIdFor(discovered.IdempotencyKey),
        discovered.IdempotencyKey,
        discovered.Source,
        discovered.SourceId,
        // Connectors pass on what the source said (an e-mail attachment name may be "../../x.pdf" or hold CR/LF).
        SafeFileName.From(discovered.FileName),
        discovered.ContentType,
        discovered.Size,
        discovered.Sha256,
        discovered.Blob,
        discovered.SourceMetadata,
        discovered.DiscoveredAt);

    public Provenance ToProvenance() => new(Source, SourceId, FileName, SourceMetadata, ReceivedAt, null, null);
}
