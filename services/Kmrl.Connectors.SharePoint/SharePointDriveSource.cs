using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using Microsoft.Graph;
using Microsoft.Graph.Models;
using Microsoft.Kiota.Abstractions;

namespace Kmrl.Connectors.SharePoint;

/// <summary>
/// One SharePoint document library (drive) as an <see cref="IDocumentSource"/>, read with driveItem delta.
/// <para>Checkpoint: the link to resume from — an <c>@odata.nextLink</c> after each page (a long first import resumes
/// where it stopped) and the final <c>@odata.deltaLink</c> at the end of a run.</para>
/// <para>Moves: a driveItem keeps its id when moved or renamed inside the drive, and delta cannot say where it was,
/// so a move is a <see cref="SourceDocument"/> with the same SourceId and the new path/webUrl (the catalog updates the
/// provenance; the content hash is unchanged, so no duplicate). A move out of the watched folders is a tombstone.</para>
/// <para>410 Gone (resyncRequired): the run restarts with a full enumeration; downstream idempotency (source, item id,
/// content hash) keeps re-read files from becoming duplicates. Deletions during the gap are not detected.</para>
/// </summary>
public sealed class SharePointDriveSource(
    GraphServiceClient graph,
    SharePointOptions options,
    SharePointLibraryOptions library,
    ILogger<SharePointDriveSource> logger) : IDocumentSource
{
    public static class MetadataKeys
    {
        public const string SiteId = "site_id";
        public const string SiteUrl = "site_url";
        public const string Library = "library";
        public const string DriveId = "drive_id";
        public const string ItemId = "item_id";
        public const string Path = "path";
        public const string WebUrl = "web_url";
        public const string ETag = "etag";
        public const string CTag = "ctag";
        public const string CreatedBy = "created_by";
        public const string CreatedAt = "created_at";
        public const string ModifiedBy = "modified_by";
        public const string ModifiedAt = "modified_at";
        public const string Size = "size";
        public const string QuickXorHash = "quick_xor_hash";
        public const string ContentType = "sp_content_type";
        /// <summary>Prefix of list-item columns, e.g. <c>field:Title</c>.</summary>
        public const string FieldPrefix = "field:";
    }

    private ResolvedDrive? _drive;

    public string Name => library.SourceName;

    public async IAsyncEnumerable<SourceChange> ReadChangesAsync(string? checkpoint, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var drive = _drive ??= await CallAsync(() => ResolveAsync(cancellationToken));
        var resume = Checkpoints.Read<Checkpoint>(checkpoint, logger);
        if (resume is not null && resume.DriveId != drive.DriveId)
        {
            logger.LogWarning("Checkpoint of {Source} names drive {Old}, the library is now drive {New}: starting over", Name, resume.DriveId, drive.DriveId);
            resume = null;
        }

        if (resume is null && (library.InitialSync ?? options.InitialSync) == InitialSyncMode.StartFromLatest)
        {
            var latest = await CallAsync(() => graph.Drives[drive.DriveId].Items["root"].DeltaWithToken("latest")
                .GetAsDeltaWithTokenGetResponseAsync(cancellationToken: cancellationToken));
            var link = latest?.OdataDeltaLink ?? throw new InvalidOperationException("delta(token='latest') returned no deltaLink.");
            logger.LogInformation("{Source} starts from the latest state; existing files are not imported", Name);
            yield return Checkpoints.Of(new Checkpoint(drive.DriveId, link, Complete: true));
            yield break;
        }

        var next = resume?.Link;
        var fullEnumeration = next is null;
        var resynced = false;
        var pathCache = new Dictionary<string, ItemDetails?>(StringComparer.Ordinal);
        while (true)
        {
            var page = await FetchPageAsync(drive.DriveId, next, cancellationToken);
            if (page is null)
            {
                if (resynced)
                {
                    throw new InvalidOperationException($"{Name}: delta answered 410 Gone again right after a resync.");
                }
                logger.LogWarning("{Source}: delta token no longer valid (410 Gone); resyncing with a full enumeration", Name);
                resynced = true;
                fullEnumeration = true;
                next = null;
                continue;
            }

            foreach (var item in page.Items)
            {
                var change = await ToChangeAsync(drive, item, fullEnumeration, pathCache, cancellationToken);
                if (change is not null)
                {
                    yield return change;
                }
            }

            if (page.NextLink is not null)
            {
                next = page.NextLink;
                yield return Checkpoints.Of(new Checkpoint(drive.DriveId, next, Complete: false));
                continue;
            }
            var deltaLink = page.DeltaLink ?? throw new InvalidOperationException($"{Name}: the last delta page had neither nextLink nor deltaLink.");
            yield return Checkpoints.Of(new Checkpoint(drive.DriveId, deltaLink, Complete: true));
            yield break;
        }
    }

    private async Task<SourceChange?> ToChangeAsync(ResolvedDrive drive, DriveItem item, bool fullEnumeration,
        Dictionary<string, ItemDetails?> cache, CancellationToken cancellationToken)
    {
        if (item.Id is null || item.Root is not null || item.Folder is not null)
        {
            return null;
        }
        if (item.Deleted is not null)
        {
            return new SourceTombstone(item.Id, "deleted", BaseMetadata(drive, item.Id));
        }
        // Packages are OneNote notebooks and similar bundles; .one sections are not documents either.
        if (item.Package is not null || item.File is null || IsOneNote(item))
        {
            return null;
        }

        var details = await DetailsAsync(drive.DriveId, item.Id, cache, cancellationToken);
        if (details is null)
        {
            // Gone between the delta page and now: the next delta reports the deletion.
            return null;
        }
        if (!InWatchedFolders(details.Path))
        {
            // During a full enumeration an outside file was never ours; in an incremental run it may have moved out.
            return fullEnumeration ? null : new SourceTombstone(item.Id, "moved-outside-watched-folders", Metadata(drive, details));
        }
        var itemId = item.Id;
        var driveId = drive.DriveId;
        return new SourceDocument(
            itemId,
            details.Item.Name ?? item.Name ?? itemId,
            details.Item.File?.MimeType ?? item.File.MimeType,
            details.Item.Size ?? item.Size,
            Metadata(drive, details),
            ct => OpenContentAsync(driveId, itemId, ct));
    }

    /// <summary>
    /// Follows the 302 to the pre-authenticated download URL through the SDK's redirect handler, which drops the
    /// Authorization header on the cross-host hop; the content is a response stream, not a buffer.
    /// </summary>
    private async Task<Stream> OpenContentAsync(string driveId, string itemId, CancellationToken cancellationToken) =>
        await CallAsync(() => graph.Drives[driveId].Items[itemId].Content.GetAsync(cancellationToken: cancellationToken))
        ?? throw new InvalidOperationException($"{Name}: item {itemId} has no content.");

    private async Task<DeltaPage?> FetchPageAsync(string driveId, string? link, CancellationToken cancellationToken)
    {
        var delta = graph.Drives[driveId].Items["root"].Delta;
        try
        {
            var response = link is null
                ? await delta.GetAsDeltaGetResponseAsync(cancellationToken: cancellationToken)
                : await delta.WithUrl(link).GetAsDeltaGetResponseAsync(cancellationToken: cancellationToken);
            return new DeltaPage(response?.Value ?? [], response?.OdataNextLink, response?.OdataDeltaLink);
        }
        catch (ApiException exception) when (exception.ResponseStatusCode == (int)HttpStatusCode.Gone)
        {
            return null;
        }
        catch (Exception exception) when (Translate(exception) is { } translated)
        {
            throw translated;
        }
    }

    private static async Task<T> CallAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (Exception exception) when (Translate(exception) is { } translated)
        {
            throw translated;
        }
    }

    /// <summary>
    /// What is left after the SDK's retry handler gave up, in the host's terms: 429/503 → throttled (the host waits
    /// Retry-After before asking again), other 5xx → transient (host backoff). Anything else stays as it is.
    /// </summary>
    internal static Exception? Translate(Exception failure)
    {
        // Kiota's retry handler reports exhausted retries as an AggregateException of the ApiExceptions it saw.
        var exception = failure switch
        {
            ApiException api => api,
            AggregateException { InnerExceptions: var inner } when inner.LastOrDefault() is ApiException last => last,
            _ => null,
        };
        if (exception is null)
        {
            return null;
        }
        var status = exception.ResponseStatusCode;
        if (status is 429 or 503)
        {
            var retryAfter = exception.ResponseHeaders.TryGetValue("Retry-After", out var values)
                             && int.TryParse(values.FirstOrDefault(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds)
                ? TimeSpan.FromSeconds(seconds)
                : TimeSpan.FromSeconds(30);
            return new SourceThrottledException(retryAfter, $"Graph still answered {status} after the SDK's retries.", failure);
        }
        return status >= 500 ? new SourceTransientException($"Graph answered {status}.", failure) : null;
    }

    private async Task<ItemDetails?> DetailsAsync(string driveId, string itemId, Dictionary<string, ItemDetails?> cache,
        CancellationToken cancellationToken)
    {
        if (cache.TryGetValue(itemId, out var cached))
        {
            return cached;
        }
        try
        {
            // Delta leaves parentReference.path out (and cannot expand listItem): one item GET has both.
            var item = await graph.Drives[driveId].Items[itemId].GetAsync(request =>
            {
                if (options.IncludeListItemFields)
                {
                    request.QueryParameters.Expand = ["listItem($expand=fields)"];
                }
            }, cancellationToken);
            var details = item is null ? null : new ItemDetails(item, PathOf(item));
            cache[itemId] = details;
            return details;
        }
        catch (ApiException exception) when (exception.ResponseStatusCode == (int)HttpStatusCode.NotFound)
        {
            cache[itemId] = null;
            return null;
        }
        catch (Exception exception) when (Translate(exception) is { } translated)
        {
            throw translated;
        }
    }

    /// <summary>Library-relative path: parentReference.path is <c>/drives/{id}/root:/Folder/Sub</c>.</summary>
    internal static string PathOf(DriveItem item)
    {
        var parent = item.ParentReference?.Path ?? "";
        var marker = parent.IndexOf("root:", StringComparison.Ordinal);
        var folder = marker >= 0 ? parent[(marker + "root:".Length)..] : "";
        folder = Uri.UnescapeDataString(folder).TrimEnd('/');
        return folder + "/" + item.Name;
    }

    private bool InWatchedFolders(string path) =>
        library.FolderPaths.Count == 0
        || library.FolderPaths.Any(folder =>
        {
            var prefix = "/" + folder.Trim('/') + "/";
            return prefix == "//" || path.StartsWith(prefix, StringComparison.OrdinalIgnoreCase);
        });

    private static bool IsOneNote(DriveItem item) =>
        string.Equals(item.File?.MimeType, "application/msonenote", StringComparison.OrdinalIgnoreCase)
        || (item.Name?.EndsWith(".one", StringComparison.OrdinalIgnoreCase) ?? false)
        || (item.Name?.EndsWith(".onetoc2", StringComparison.OrdinalIgnoreCase) ?? false);

    private Dictionary<string, string> BaseMetadata(ResolvedDrive drive, string itemId)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [MetadataKeys.SiteId] = drive.SiteId,
            [MetadataKeys.Library] = drive.DriveName,
            [MetadataKeys.DriveId] = drive.DriveId,
            [MetadataKeys.ItemId] = itemId,
        };
        Add(metadata, MetadataKeys.SiteUrl, drive.SiteUrl);
        return metadata;
    }

    private Dictionary<string, string> Metadata(ResolvedDrive drive, ItemDetails details)
    {
        var item = details.Item;
        var metadata = BaseMetadata(drive, item.Id!);
        metadata[MetadataKeys.Path] = details.Path;
        Add(metadata, MetadataKeys.WebUrl, item.WebUrl);
        Add(metadata, MetadataKeys.ETag, item.ETag);
        Add(metadata, MetadataKeys.CTag, item.CTag);
        Add(metadata, MetadataKeys.CreatedBy, item.CreatedBy?.User?.DisplayName);
        Add(metadata, MetadataKeys.ModifiedBy, item.LastModifiedBy?.User?.DisplayName);
        Add(metadata, MetadataKeys.CreatedAt, item.CreatedDateTime?.ToString("O", CultureInfo.InvariantCulture));
        Add(metadata, MetadataKeys.ModifiedAt, item.LastModifiedDateTime?.ToString("O", CultureInfo.InvariantCulture));
        Add(metadata, MetadataKeys.Size, item.Size?.ToString(CultureInfo.InvariantCulture));
        Add(metadata, MetadataKeys.QuickXorHash, item.File?.Hashes?.QuickXorHash);
        Add(metadata, MetadataKeys.ContentType, item.ListItem?.ContentType?.Name);
        foreach (var (name, value) in item.ListItem?.Fields?.AdditionalData ?? new Dictionary<string, object>())
        {
            // Columns starting with '_' or '@' are SharePoint internals and OData annotations.
            if (name.StartsWith('_') || name.StartsWith('@') || FieldText(value) is not { } text)
            {
                continue;
            }
            metadata[MetadataKeys.FieldPrefix + name] = text;
        }
        return metadata;
    }

    private static string? FieldText(object? value) => value switch
    {
        null => null,
        string text => text,
        bool flag => flag ? "true" : "false",
        DateTimeOffset at => at.ToString("O", CultureInfo.InvariantCulture),
        DateTime at => at.ToString("O", CultureInfo.InvariantCulture),
        IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
        _ => null, // Lookups, people and other composite columns are left out.
    };

    private static void Add(Dictionary<string, string> metadata, string key, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            metadata[key] = value;
        }
    }

    /// <summary>Site by URL or id, then the library by name or drive id among <c>/sites/{id}/drives</c>; once per process.</summary>
    private async Task<ResolvedDrive> ResolveAsync(CancellationToken cancellationToken)
    {
        Site? site;
        if (Uri.TryCreate(library.Site, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttps || url.Scheme == Uri.UriSchemeHttp))
        {
            var path = url.AbsolutePath.TrimEnd('/');
            var address = path.Length == 0 ? $"sites/{url.Host}" : $"sites/{url.Host}:{path}";
            site = await graph.Sites[url.Host].WithUrl($"{options.GraphBaseUrl.ToString().TrimEnd('/')}/{address}")
                .GetAsync(cancellationToken: cancellationToken);
        }
        else
        {
            site = await graph.Sites[library.Site].GetAsync(cancellationToken: cancellationToken);
        }
        var siteId = site?.Id ?? throw new InvalidOperationException($"Site '{library.Site}' was not found.");

        var drives = new List<Drive>();
        var response = await graph.Sites[siteId].Drives.GetAsync(cancellationToken: cancellationToken);
        while (response is not null)
        {
            drives.AddRange(response.Value ?? []);
            response = response.OdataNextLink is { } nextLink
                ? await graph.Sites[siteId].Drives.WithUrl(nextLink).GetAsync(cancellationToken: cancellationToken)
                : null;
        }
        var drive = drives.FirstOrDefault(d => d.Id == library.Library)
                    ?? drives.FirstOrDefault(d => string.Equals(d.Name, library.Library, StringComparison.OrdinalIgnoreCase))
                    ?? throw new InvalidOperationException(
                        $"Library '{library.Library}' is not among the {drives.Count} libraries of site '{library.Site}'.");
        logger.LogInformation("{Source} resolved to site {SiteId}, drive {DriveId} ({DriveName})", Name, siteId, drive.Id, drive.Name);
        return new ResolvedDrive(siteId, site.WebUrl, drive.Id!, drive.Name ?? library.Library);
    }

    private sealed record ResolvedDrive(string SiteId, string? SiteUrl, string DriveId, string DriveName);

    private sealed record DeltaPage(List<DriveItem> Items, string? NextLink, string? DeltaLink);

    private sealed record ItemDetails(DriveItem Item, string Path);

    /// <summary>Where the drive's delta stands (read and written with <see cref="Checkpoints"/>; older PascalCase values still read).</summary>
    internal sealed record Checkpoint(string DriveId, string Link, bool Complete);
}
