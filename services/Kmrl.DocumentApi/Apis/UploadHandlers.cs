using System.Text.Json;
using Kmrl.BuildingBlocks.PubSub;
using Kmrl.ClaimCheck;
using Kmrl.Contracts;
using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Model;
using Kmrl.DocumentApi.Pipeline;
using Kmrl.DocumentApi.Ports;
using Kmrl.ServiceDefaults;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Kmrl.DocumentApi.Apis;

public sealed record UploadedDocument(string DocumentId, string FileName, string StatusUrl);

public sealed record UploadResponse(string UploadId, IReadOnlyList<UploadedDocument> Documents);

/// <summary>
/// POST /documents: multipart with one or more files and an optional "metadata" JSON object. Each file streams
/// straight into the claim check (never buffered whole); limits are checked while streaming. Accepting is a durable
/// hand-off and nothing more: each file is announced as a DocumentDiscovered on pub/sub, as a connector announces what
/// it finds, and the pipeline's subscription starts the workflow. The upload never waits for the workflow engine, so
/// intake keeps its pace however far behind processing is.
/// </summary>
public static partial class UploadHandlers
{
    public const string MetadataField = "metadata";
    private const int MaxMetadataBytes = 64 * 1024;

    /// <summary>Form fields (non-file sections) per upload; each also counts against <see cref="MaxMetadataBytes"/>.</summary>
    private const int MaxFormFields = 16;

    public static async Task<Results<Accepted<UploadResponse>, ProblemHttpResult>> UploadAsync(
        HttpContext http,
        IDocumentContentStore store,
        ICatalog catalog,
        IEventPublisher events,
        PipelineBacklog backlog,
        IOptions<UploadOptions> uploadOptions,
        TimeProvider time,
        ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        var options = uploadOptions.Value;
        if (!MediaTypeHeaderValue.TryParse(http.Request.ContentType, out var mediaType)
            || !string.Equals(mediaType.MediaType.Value, "multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            return Problem(StatusCodes.Status415UnsupportedMediaType, "Send the documents as multipart/form-data.");
        }
        var boundary = HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value;
        if (string.IsNullOrWhiteSpace(boundary))
        {
            return Problem(StatusCodes.Status400BadRequest, "The multipart boundary is missing.");
        }
        // The server-wide body cap would cut big uploads; the real caps (per file, count) are enforced below.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
        {
            bodySize.MaxRequestBodySize = options.MaxFileBytes * options.MaxFiles + MaxMetadataBytes + 1024 * 1024;
        }

        var uploadId = Guid.CreateVersion7(time.GetUtcNow()).ToString("N");
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var stored = new List<(BlobReference Blob, string FileName, string ContentType)>();
        var allowed = options.AllowedContentTypes.ToHashSet(StringComparer.OrdinalIgnoreCase);
        var reader = new MultipartReader(boundary, http.Request.Body);
        // One budget for all form fields of the request: a cap per section would let 60 sections of 60 KB through.
        var formBytesLeft = MaxMetadataBytes;
        var formFields = 0;
        try
        {
            MultipartSection? section;
            while ((section = await reader.ReadNextSectionAsync(cancellationToken)) is not null)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition))
                {
                    return await FailAsync(store, stored, StatusCodes.Status400BadRequest, "A multipart section has no Content-Disposition.");
                }
                if (disposition.IsFileDisposition())
                {
                    if (stored.Count >= options.MaxFiles)
                    {
                        return await FailAsync(store, stored, StatusCodes.Status400BadRequest, $"At most {options.MaxFiles} files per upload.");
                    }
                    var sentName = (disposition.FileNameStar.HasValue ? disposition.FileNameStar.Value : disposition.FileName.Value) ?? string.Empty;
                    if (string.IsNullOrWhiteSpace(sentName))
                    {
                        return await FailAsync(store, stored, StatusCodes.Status400BadRequest, "A file has no name.");
                    }
                    var fileName = SafeFileName.From(sentName);
                    var contentType = string.IsNullOrWhiteSpace(section.ContentType) ? "application/octet-stream" : section.ContentType;
                    if (!allowed.Contains(contentType.Split(';')[0].Trim()))
                    {
                        return await FailAsync(store, stored, StatusCodes.Status415UnsupportedMediaType, $"'{fileName}' has type {contentType}, which is not accepted.");
                    }
                    var key = $"upload-{uploadId}-{stored.Count}";
                    try
                    {
                        var blob = await store.WriteAsync(key, new LimitedReadStream(section.Body, options.MaxFileBytes), cancellationToken);
                        stored.Add((blob, fileName, contentType));
                    }
                    catch (UploadTooLargeException)
                    {
                        // The claim check removed the chunks it had written before the cap was passed.
                        return await FailAsync(store, stored, StatusCodes.Status413PayloadTooLarge, $"'{fileName}' is larger than {options.MaxFileBytes} bytes.");
                    }
                }
                else if (disposition.IsFormDisposition())
                {
                    if (++formFields > MaxFormFields)
                    {
                        return await FailAsync(store, stored, StatusCodes.Status400BadRequest, $"At most {MaxFormFields} form fields per upload.");
                    }
                    var field = await BoundedRead.ReadAtMostAsync(section.Body, formBytesLeft, cancellationToken);
                    if (field is null)
                    {
                        return await FailAsync(store, stored, StatusCodes.Status413PayloadTooLarge, $"The form fields (metadata) of an upload are at most {MaxMetadataBytes / 1024} KB together.");
                    }
                    formBytesLeft -= field.Length;
                    if (!string.Equals(disposition.Name.Value, MetadataField, StringComparison.OrdinalIgnoreCase))
                    {
                        continue;
                    }
                    var parsed = ParseMetadata(field);
                    if (parsed is null)
                    {
                        return await FailAsync(store, stored, StatusCodes.Status400BadRequest, "metadata must be a JSON object of strings, at most 64 KB.");
                    }
                    foreach (var (name, value) in parsed) metadata[name] = value;
                }
            }
        }
        catch (InvalidDataException ex)
        {
            return await FailAsync(store, stored, StatusCodes.Status400BadRequest, "The multipart body is malformed: " + ex.Message);
        }
        catch (IOException ex) when (!cancellationToken.IsCancellationRequested)
        {
            // MultipartReader reports a body that ends before its closing boundary (or never has one) as an
            // IOException: the client's mistake, not the server's.
            return await FailAsync(store, stored, StatusCodes.Status400BadRequest, "The multipart body is malformed: " + ex.Message);
        }

        if (stored.Count == 0)
        {
            return Problem(StatusCodes.Status400BadRequest, "The upload holds no file.");
        }

        var received = time.GetUtcNow();
        var documents = new List<UploadedDocument>();
        for (var i = 0; i < stored.Count; i++)
        {
            var (blob, fileName, contentType) = stored[i];
            var sourceId = $"{uploadId}-{i}";
            var idempotencyKey = IdempotencyKey.For(DocumentSources.Upload, sourceId, blob.Sha256);
            var documentId = DocumentIntake.DocumentIdFor(idempotencyKey);
            var discovered = new DocumentDiscovered(idempotencyKey, DocumentSources.Upload, sourceId, fileName, contentType,
                blob.Size, blob.Sha256, blob, metadata, received);
            try
            {
                // The note first: once the event is out the document may be catalogued at once, and a status URL that
                // answered 404 in between would look like a lost upload.
                await catalog.SaveAcceptedAsync(new AcceptedDocument(documentId, DocumentSources.Upload, sourceId, fileName, contentType, blob.Size, received), cancellationToken);
                await events.PublishAsync(DaprNames.Topics.DocumentDiscovered, discovered, cancellationToken);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                // Files already handed on are processed; the ones not handed on are removed, so nothing is half-accepted.
                LogHandOffFailed(loggers.CreateLogger(typeof(UploadHandlers)), ex, uploadId, i, stored.Count);
                return await FailAsync(store, stored.Skip(i).ToList(), StatusCodes.Status503ServiceUnavailable,
                    $"The pipeline did not take '{fileName}'; {i} of {stored.Count} files were accepted ({string.Join(", ", documents.Select(d => d.DocumentId))}). Send the others again.");
            }
            backlog.Open(documentId);
            documents.Add(new UploadedDocument(documentId, fileName, $"/documents/{documentId}"));
        }
        return TypedResults.Accepted(documents[0].StatusUrl, new UploadResponse(uploadId, documents));
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Upload {UploadId}: handing file {Index} of {Count} to the pipeline failed")]
    private static partial void LogHandOffFailed(ILogger logger, Exception exception, string uploadId, int index, int count);


    private static Dictionary<string, string>? ParseMetadata(byte[] json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object) return null;
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                result[property.Name] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.GetRawText();
            }
            return result;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>An upload is all or nothing: files already stored are removed before answering with the problem.</summary>
    private static async Task<ProblemHttpResult> FailAsync(IDocumentContentStore store, List<(BlobReference Blob, string FileName, string ContentType)> stored, int status, string detail)
    {
        foreach (var (blob, _, _) in stored)
        {
            await store.DeleteAsync(blob, CancellationToken.None);
        }
        return Problem(status, detail);
    }

    internal static ProblemHttpResult Problem(int status, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: ReasonPhrase(status));

    private static string ReasonPhrase(int status) => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status);
}
