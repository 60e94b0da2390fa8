namespace Kmrl.DocumentApi.Model;

/// <summary>
/// An upload that was stored and handed to the pipeline (DocumentDiscovered published) but may not be catalogued yet.
/// It lets <c>GET /documents/{id}</c> answer "queued" from the state store alone, whatever the workflow engine is doing.
/// </summary>
public sealed record AcceptedDocument(string DocumentId, string Source, string SourceId, string FileName, string ContentType, long Size, DateTimeOffset AcceptedAt);
