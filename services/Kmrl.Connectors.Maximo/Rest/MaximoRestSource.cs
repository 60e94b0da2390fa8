using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Kmrl.Connectors.Maximo.Rest;

/// <summary>
/// Attachments (doclinks) of the records of one Maximo object structure, read incrementally by change date:
/// <c>GET {api}/os/{os}?lean=1&amp;oslc.select=...&amp;oslc.where=changedate&gt;="{checkpoint}"&amp;oslc.orderBy=+changedate</c>,
/// following <c>responseInfo.nextPage.href</c>. Each doclink member's href is downloaded as a stream.
/// </summary>
public sealed partial class MaximoRestSource(MaximoRestOptions options, MaximoApiClient api, ILogger<MaximoRestSource> logger) : IDocumentSource
{
    public string Name => options.Name;

    public async IAsyncEnumerable<SourceChange> ReadChangesAsync(string? checkpoint, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var state = Checkpoints.Read<MaximoRestCheckpoint>(checkpoint, logger) ?? MaximoRestCheckpoint.Empty;
        var cursor = state.ChangeDate;
        var seen = new HashSet<string>(state.SeenIds, StringComparer.Ordinal);
        var floor = state.AttachmentFloor;
        var floorSeen = state.FloorSeenIds ?? [];
        var handed = 0;

        Uri? page = FirstPage(state.ChangeDate);
        while (page is not null)
        {
            using var json = await api.GetJsonAsync(options, page, cancellationToken);
            var root = json.RootElement;
            var records = root.TryGetProperty("member", out var member) && member.ValueKind == JsonValueKind.Array
                ? member.EnumerateArray().Select(r => r.Clone()).ToList()
                : [];
            page = NextPage(root);

            foreach (var record in records)
            {
                var changeDate = ReadDate(record, "changedate");
                if (changeDate is { } changed)
                {
                    if (cursor is { } current && changed < current)
                    {
                        continue; // cannot happen with >= and +changedate; defensive against a misbehaving proxy
                    }
                    if (cursor != changed)
                    {
                        cursor = changed;
                        seen.Clear(); // ids are remembered only for the newest second
                    }
                }
                var recordMetadata = RecordMetadata(record);
                await foreach (var link in DocLinksAsync(record, cancellationToken))
                {
                    var id = DocLinkId(link);
                    if (id is null || seen.Contains(id))
                    {
                        continue;
                    }
                    var described = link.TryGetProperty("describedBy", out var d) ? d : default;
                    var stamp = ReadDate(described, "modified") ?? ReadDate(described, "created") ?? changeDate;
                    if (floor is { } f && stamp is { } s && (s < f || (s == f && floorSeen.Contains(id))))
                    {
                        continue; // an attachment handed on in an earlier run, listed again because its record changed
                    }
                    var href = new Uri(link.GetProperty("href").GetString()!);
                    var fileName = ReadString(described, "fileName") ?? ReadString(described, "title") ?? $"doclink-{id}";
                    var metadata = new Dictionary<string, string>(recordMetadata) { [MaximoMetadata.DocLinkId] = id };
                    Add(metadata, MaximoMetadata.DocType, ReadString(described, "docType"));
                    Add(metadata, MaximoMetadata.AttachmentDescription, ReadString(described, "description"));
                    Add(metadata, MaximoMetadata.AttachmentTitle, ReadString(described, "title"));
                    Add(metadata, MaximoMetadata.CreatedBy, ReadString(described, "createby") ?? ReadString(described, "changeby"));
                    Add(metadata, MaximoMetadata.Created, ReadString(described, "created"));
                    var declaredType = described.ValueKind == JsonValueKind.Object && described.TryGetProperty("format", out var format)
                        && format.ValueKind == JsonValueKind.Object ? ReadString(format, "label") : null;

                    yield return new SourceDocument(
                        SourceId: $"{options.ObjectStructure}/{recordMetadata.GetValueOrDefault(KeyMetadata, "?")}/doclinks/{id}",
                        FileName: fileName,
                        DeclaredContentType: declaredType,
                        Size: described.ValueKind == JsonValueKind.Object && described.TryGetProperty("attachmentSize", out var size) && size.TryGetInt64(out var bytes) ? bytes : null,
                        Metadata: metadata,
                        OpenContentAsync: async ct => (await api.OpenAsync(options, href, ct)).Content);
                    handed++;
                    if (changeDate == cursor)
                    {
                        seen.Add(id);
                    }
                    yield return Checkpoints.Of(new MaximoRestCheckpoint(cursor, [.. seen], floor, floorSeen));
                }
            }
        }
        LogRun(logger, Name, handed, cursor);
        // The whole change stream up to the cursor has been read: older attachments are all handed on.
        yield return cursor == floor
            ? Checkpoints.Of(new MaximoRestCheckpoint(cursor, [.. seen], floor, [.. floorSeen.Union(seen)]))
            : Checkpoints.Of(new MaximoRestCheckpoint(cursor, [.. seen], cursor, [.. seen]));
    }

    private string KeyMetadata => options.KeyField.Equals("assetnum", StringComparison.OrdinalIgnoreCase) ? MaximoMetadata.Asset : MaximoMetadata.WorkOrder;

    private Uri FirstPage(DateTimeOffset? since)
    {
        var select = $"{options.KeyField},siteid,description,status,changedate,doclinks{{*}}";
        var query = new List<string>
        {
            "lean=1",
            "oslc.select=" + Uri.EscapeDataString(select),
            // "+" means ascending and must be encoded, or the server reads a space.
            "oslc.orderBy=%2Bchangedate",
            "oslc.pageSize=" + options.PageSize.ToString(CultureInfo.InvariantCulture),
        };
        if (since is { } date)
        {
            // >= with the ids seen at that second: records changed in the same second are neither missed nor repeated.
            query.Add("oslc.where=" + Uri.EscapeDataString($"changedate>=\"{date.ToString("yyyy-MM-dd'T'HH:mm:ssK", CultureInfo.InvariantCulture)}\""));
        }
        var root = options.BaseUrl!.ToString().TrimEnd('/');
        return new Uri($"{root}{options.EffectiveApiPath}/os/{options.ObjectStructure}?{string.Join('&', query)}");
    }

    private static Uri? NextPage(JsonElement root) =>
        root.TryGetProperty("responseInfo", out var info) && info.TryGetProperty("nextPage", out var next)
            && next.TryGetProperty("href", out var href) && href.GetString() is { Length: > 0 } url
            ? new Uri(url)
            : null;

    /// <summary>Doclinks inline (<c>doclinks{*}</c> expanded to members) or behind the collection href.</summary>
    private async IAsyncEnumerable<JsonElement> DocLinksAsync(JsonElement record, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (!record.TryGetProperty("doclinks", out var doclinks))
        {
            yield break;
        }
        if (doclinks.ValueKind == JsonValueKind.Array)
        {
            foreach (var link in doclinks.EnumerateArray())
            {
                yield return link;
            }
            yield break;
        }
        if (doclinks.ValueKind != JsonValueKind.Object)
        {
            yield break;
        }
        if (doclinks.TryGetProperty("member", out var inline) && inline.ValueKind == JsonValueKind.Array)
        {
            foreach (var link in inline.EnumerateArray())
            {
                yield return link;
            }
            yield break;
        }
        if (ReadString(doclinks, "href") is { } collection)
        {
            using var json = await api.GetJsonAsync(options, new Uri(collection), cancellationToken);
            if (json.RootElement.TryGetProperty("member", out var members) && members.ValueKind == JsonValueKind.Array)
            {
                foreach (var link in members.EnumerateArray())
                {
                    yield return link.Clone();
                }
            }
        }
    }

    private Dictionary<string, string> RecordMetadata(JsonElement record)
    {
        var metadata = new Dictionary<string, string> { [MaximoMetadata.ObjectStructure] = options.ObjectStructure };
        Add(metadata, KeyMetadata, ReadString(record, options.KeyField));
        Add(metadata, MaximoMetadata.Site, ReadString(record, "siteid"));
        Add(metadata, MaximoMetadata.Description, ReadString(record, "description"));
        Add(metadata, MaximoMetadata.Status, ReadString(record, "status"));
        Add(metadata, MaximoMetadata.ChangeDate, ReadString(record, "changedate"));
        if (!options.KeyField.Equals("assetnum", StringComparison.OrdinalIgnoreCase))
        {
            Add(metadata, MaximoMetadata.Asset, ReadString(record, "assetnum"));
        }
        return metadata;
    }

    // The member href ends in /doclinks/{id}; describedBy.identifier carries the same id.
    private static string? DocLinkId(JsonElement link)
    {
        if (link.TryGetProperty("describedBy", out var described) && ReadString(described, "identifier") is { } identifier)
        {
            return identifier;
        }
        var href = ReadString(link, "href");
        return href is null ? null : href[(href.TrimEnd('/').LastIndexOf('/') + 1)..].TrimEnd('/');
    }

    private static string? ReadString(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value)
            ? value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Number => value.GetRawText(),
                _ => null,
            }
            : null;

    private static DateTimeOffset? ReadDate(JsonElement element, string name) =>
        ReadString(element, name) is { } text
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date)
            ? date
            : null;

    private static void Add(Dictionary<string, string> metadata, string key, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            metadata[key] = value;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Maximo {Source}: {Handed} attachments handed on, change date now {ChangeDate}")]
    private static partial void LogRun(ILogger logger, string source, int handed, DateTimeOffset? changeDate);
}
