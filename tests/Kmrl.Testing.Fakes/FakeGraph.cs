using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Kmrl.Testing.Fakes;

/// <summary>
/// A local Microsoft Graph for one SharePoint site, speaking the documented JSON: site by path, /sites/{id}/drives,
/// driveItem delta (<c>delta</c>, <c>delta()</c>, <c>delta(token='latest')</c>, nextLink/deltaLink paging, deleted
/// facets, 410 resyncRequired), item GET with <c>$expand=listItem($expand=fields)</c>, 302 content redirects to a
/// second host (addressed as <c>localhost</c>, so it is a different host than the API's 127.0.0.1), and 429 storms.
/// Like Graph for SharePoint, delta items carry no <c>parentReference.path</c>; a plain item GET does.
/// </summary>
public sealed partial class FakeGraph : IAsyncDisposable
{
    public const string Token = "test-access-token";
    public const string SiteUrl = "https://kmrl.sharepoint.com/sites/Engineering";
    public const string SiteId = "kmrl.sharepoint.com,5a2b0c1d-0000-4000-8000-000000000001,6b3c1d2e-0000-4000-8000-000000000002";
    public const string DocumentsDriveId = "drive-documents";
    public const string ArchiveDriveId = "drive-archive";
    public const string RootId = "root-id";

    private readonly Lock _gate = new();
    private readonly Dictionary<string, FakeItem> _items = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _graphRequests = new();
    private readonly ConcurrentQueue<string?> _graphAuthorizations = new();
    private readonly ConcurrentQueue<string?> _downloadAuthorizations = new();
    private WebApplication _graph = null!;
    private WebApplication _downloads = null!;
    private int _seq;
    private int _throttle;
    private int _epoch; // delta tokens carry the epoch that issued them; expiring bumps it

    public Uri GraphBaseUrl { get; private set; } = null!;
    public string DownloadBaseUrl { get; private set; } = null!;
    public int PageSize { get; set; } = 4;

    /// <summary>When set, downloads send their first 64 KiB and then wait for this before sending the rest.</summary>
    public TaskCompletionSource? HoldDownloadsAfterFirstChunk { get; set; }

    public const int FirstChunk = 64 * 1024;

    public string AddLargeFile(string name, string parentId, int size)
    {
        var content = new byte[size];
        new Random(42).NextBytes(content);
        return Add(new FakeItem(NewId(), name, parentId, Kind.File) { Content = content });
    }

    /// <summary>
    /// A file whose content stays on disk at <paramref name="path"/> and is streamed on every download, never held in
    /// memory: for memory benchmarks with files of hundreds of MiB.
    /// </summary>
    public string AddFileFromDisk(string name, string parentId, string path) =>
        Add(new FakeItem(NewId(), name, parentId, Kind.File) { ContentPath = path });

    public int ThrottledResponses;
    public int GoneResponses;

    public IReadOnlyList<string> GraphRequests => _graphRequests.ToList();
    public IReadOnlyList<string?> GraphAuthorizations => _graphAuthorizations.ToList();
    public IReadOnlyList<string?> DownloadAuthorizations => _downloadAuthorizations.ToList();

    public static Task<FakeGraph> StartAsync() => StartAsync(stateFile: null);

    /// <summary>
    /// With <paramref name="stateFile"/>, a library that outlives the process (the local demo's): every change is
    /// written there, a start reads it back, and the Graph API listens on the port it had, so delta links issued
    /// before a restart stay valid (they are absolute URLs). Without one, an empty library on a free port.
    /// </summary>
    public static async Task<FakeGraph> StartAsync(string? stateFile)
    {
        var fake = new FakeGraph { _stateFile = stateFile };
        var port = 0;
        if (stateFile is not null && File.Exists(stateFile))
        {
            port = fake.Load(await File.ReadAllTextAsync(stateFile));
        }
        else
        {
            fake._items[RootId] = new FakeItem(RootId, "root", null, Kind.Root) { Seq = 0 };
        }
        fake._graph = Build(fake.HandleGraphAsync, port);
        fake._downloads = Build(fake.HandleDownloadAsync, 0);
        await fake._graph.StartAsync();
        await fake._downloads.StartAsync();
        fake.GraphBaseUrl = new Uri(Address(fake._graph) + "/v1.0");
        // Same machine, different host name: the redirect crosses hosts the way Graph → SharePoint CDN does.
        fake.DownloadBaseUrl = Address(fake._downloads).Replace("127.0.0.1", "localhost", StringComparison.Ordinal);
        lock (fake._gate)
        {
            fake.Save();
        }
        return fake;
    }

    private string? _stateFile;

    private sealed record ItemState(string Id, string Name, string? ParentId, Kind Kind, Guid Guid, byte[] Content, string? Title,
        int Seq, int Version, int ContentVersion, bool Deleted, DateTimeOffset Created, DateTimeOffset Modified);

    private sealed record LibraryState(int GraphPort, int Seq, int NextId, int Epoch, List<ItemState> Items);

    // Under _gate. Files served from disk (benchmarks) are not part of a saved library.
    private void Save()
    {
        if (_stateFile is null)
        {
            return;
        }
        var state = new LibraryState(GraphBaseUrl?.Port ?? 0, _seq, _nextId, _epoch, _items.Values.Where(i => i.ContentPath is null)
            .Select(i => new ItemState(i.Id, i.Name, i.ParentId, i.Kind, i.Guid, i.Content, i.Title, i.Seq, i.Version, i.ContentVersion, i.Deleted, i.Created, i.Modified))
            .ToList());
        var temporary = _stateFile + ".tmp";
        File.WriteAllText(temporary, System.Text.Json.JsonSerializer.Serialize(state));
        File.Move(temporary, _stateFile, overwrite: true);
    }

    private int Load(string json)
    {
        var state = System.Text.Json.JsonSerializer.Deserialize<LibraryState>(json) ?? throw new InvalidDataException("Empty FakeGraph state.");
        (_seq, _nextId, _epoch) = (state.Seq, state.NextId, state.Epoch);
        foreach (var i in state.Items)
        {
            _items[i.Id] = new FakeItem(i.Id, i.Name, i.ParentId, i.Kind)
            {
                Guid = i.Guid, Content = i.Content, Title = i.Title, Seq = i.Seq, Version = i.Version, ContentVersion = i.ContentVersion,
                Deleted = i.Deleted, Created = i.Created, Modified = i.Modified,
            };
        }
        return state.GraphPort;
    }

    private static WebApplication Build(RequestDelegate handler, int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Run(handler);
        return app;
    }

    private static string Address(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single().TrimEnd('/');

    // ---- the library, as tests change it ----

    public string AddFolder(string name, string parentId = RootId) => Add(new FakeItem(NewId(), name, parentId, Kind.Folder));

    public string AddFile(string name, string parentId, string text, string? title = null) =>
        AddFile(name, parentId, System.Text.Encoding.UTF8.GetBytes(text), title);

    public string AddFile(string name, string parentId, byte[] content, string? title = null) =>
        Add(new FakeItem(NewId(), name, parentId, Kind.File) { Content = content, Title = title });

    /// <summary>The id of the folder of that name right under the root, if there is one (a restarted library keeps its folders).</summary>
    public string? FindFolder(string name)
    {
        lock (_gate)
        {
            return _items.Values.FirstOrDefault(i => i.Kind == Kind.Folder && i.ParentId == RootId && !i.Deleted && i.Name == name)?.Id;
        }
    }

    public string AddOneNotePackage(string name, string parentId = RootId) => Add(new FakeItem(NewId(), name, parentId, Kind.Package));

    public void Modify(string id, string text) => Change(id, item =>
    {
        item.Content = System.Text.Encoding.UTF8.GetBytes(text);
        item.ContentVersion++;
    });

    public void Move(string id, string newParentId) => Change(id, item => item.ParentId = newParentId);

    public void Delete(string id) => Change(id, item => item.Deleted = true);

    public byte[] ContentOf(string id) { lock (_gate) { return _items[id].Content; } }

    public string PathOf(string id) { lock (_gate) { return RelativeFolder(_items[id].ParentId!) + "/" + _items[id].Name; } }

    /// <summary>The next <paramref name="count"/> API requests answer 429 with Retry-After: 1.</summary>
    public void Throttle(int count) => Interlocked.Exchange(ref _throttle, count);

    /// <summary>Every delta token issued so far answers 410 Gone (resyncRequired).</summary>
    public void ExpireDeltaTokens() { lock (_gate) { _epoch++; Save(); } }

    private string Add(FakeItem item)
    {
        lock (_gate)
        {
            item.Seq = ++_seq;
            item.Created = item.Modified = DateTimeOffset.UtcNow;
            _items[item.Id] = item;
            Save();
            return item.Id;
        }
    }

    private void Change(string id, Action<FakeItem> change)
    {
        lock (_gate)
        {
            var item = _items[id];
            change(item);
            item.Version++;
            item.Seq = ++_seq;
            item.Modified = DateTimeOffset.UtcNow;
            Save();
        }
    }

    private static readonly Microsoft.AspNetCore.StaticFiles.FileExtensionContentTypeProvider MimeTypes = new();

    private string NewId() => "01ITEM" + (Interlocked.Increment(ref _nextId)).ToString("D6", CultureInfo.InvariantCulture);
    private int _nextId;

    // ---- Graph ----

    private async Task HandleGraphAsync(HttpContext context)
    {
        var request = context.Request;
        var path = Uri.UnescapeDataString(request.Path.Value ?? "");
        _graphRequests.Enqueue(path + request.QueryString);
        _graphAuthorizations.Enqueue(request.Headers.Authorization.ToString());
        if (Interlocked.Decrement(ref _throttle) >= 0)
        {
            Interlocked.Increment(ref ThrottledResponses);
            context.Response.Headers.RetryAfter = "1";
            await Error(context, 429, "TooManyRequests", "Too many requests.");
            return;
        }
        if (request.Headers.Authorization.ToString() != "Bearer " + Token)
        {
            await Error(context, 401, "InvalidAuthenticationToken", "Access token is empty.");
            return;
        }

        Match match;
        if ((match = SiteByPath().Match(path)).Success)
        {
            if (match.Groups["host"].Value == "kmrl.sharepoint.com" && match.Groups["path"].Value == "/sites/Engineering")
            {
                await Json(context, Site());
            }
            else
            {
                await Error(context, 404, "itemNotFound", "Requested site could not be found");
            }
        }
        else if ((match = SiteDrives().Match(path)).Success && match.Groups["site"].Value == SiteId)
        {
            await Json(context, new JsonObject
            {
                ["value"] = new JsonArray(
                    Drive(DocumentsDriveId, "Documents"),
                    Drive(ArchiveDriveId, "Archive")),
            });
        }
        else if ((match = SiteById().Match(path)).Success && match.Groups["site"].Value == SiteId)
        {
            await Json(context, Site());
        }
        else if ((match = Delta().Match(path)).Success && match.Groups["drive"].Value == DocumentsDriveId)
        {
            await DeltaAsync(context, match.Groups["token"].Success ? match.Groups["token"].Value : null);
        }
        else if ((match = Content().Match(path)).Success && match.Groups["drive"].Value == DocumentsDriveId)
        {
            var id = match.Groups["item"].Value;
            lock (_gate)
            {
                if (!_items.TryGetValue(id, out var item) || item.Deleted)
                {
                    context.Response.StatusCode = 404;
                    return;
                }
            }
            context.Response.StatusCode = 302;
            context.Response.Headers.Location = $"{DownloadBaseUrl}/download/{id}?tempauth=pre-authenticated-{Guid.NewGuid():N}";
        }
        else if ((match = ItemById().Match(path)).Success && match.Groups["drive"].Value == DocumentsDriveId)
        {
            JsonObject? json;
            lock (_gate)
            {
                json = _items.TryGetValue(match.Groups["item"].Value, out var item) && !item.Deleted
                    ? ItemJson(item, withPath: true, withListItem: request.Query["$expand"].ToString().Contains("listItem", StringComparison.Ordinal))
                    : null;
            }
            await (json is null ? Error(context, 404, "itemNotFound", "The resource could not be found.") : Json(context, json));
        }
        else
        {
            await Error(context, 400, "invalidRequest", "Unsupported route " + path);
        }
    }

    private async Task DeltaAsync(HttpContext context, string? functionToken)
    {
        var query = context.Request.Query;
        var deltaBase = $"{GraphBaseUrl}/drives/{DocumentsDriveId}/items/root/delta()";
        JsonObject page;
        lock (_gate)
        {
            if (functionToken == "latest")
            {
                page = new JsonObject { ["value"] = new JsonArray(), ["@odata.deltaLink"] = $"{deltaBase}?token={_epoch}-{_seq}" };
            }
            else
            {
                int since = -1, offset = 0, snapshot = _seq, epoch = _epoch;
                if (query.TryGetValue("token", out var token))
                {
                    var parts = token.ToString().Split('-').Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
                    (epoch, since) = (parts[0], parts[1]);
                }
                if (query.TryGetValue("$skiptoken", out var skip))
                {
                    var parts = skip.ToString().Split('.').Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
                    (epoch, since, offset, snapshot) = (parts[0], parts[1], parts[2], parts[3]);
                }
                if (epoch != _epoch)
                {
                    page = null!;
                }
                else
                {
                    // A full enumeration lists what exists; an incremental one what changed, deletions included.
                    var changed = _items.Values
                        .Where(i => since < 0 ? !i.Deleted && i.Seq <= snapshot : i.Seq > since && i.Seq <= snapshot)
                        .OrderBy(i => i.Seq)
                        .ToList();
                    var slice = changed.Skip(offset).Take(PageSize).Select(i => (JsonNode)ItemJson(i, withPath: false, withListItem: false)).ToArray();
                    page = new JsonObject { ["@odata.context"] = $"{GraphBaseUrl}/$metadata#Collection(driveItem)", ["value"] = new JsonArray(slice) };
                    if (offset + PageSize < changed.Count)
                    {
                        page["@odata.nextLink"] = $"{deltaBase}?$skiptoken={_epoch}.{since}.{offset + PageSize}.{snapshot}";
                    }
                    else
                    {
                        page["@odata.deltaLink"] = $"{deltaBase}?token={_epoch}-{snapshot}";
                    }
                }
            }
        }
        if (page is null)
        {
            Interlocked.Increment(ref GoneResponses);
            await Error(context, 410, "resyncRequired", "Resync required. Replace any local items with the server's version.");
            return;
        }
        await Json(context, page);
    }

    private async Task HandleDownloadAsync(HttpContext context)
    {
        _downloadAuthorizations.Enqueue(context.Request.Headers.Authorization.ToString());
        var id = (context.Request.Path.Value ?? "").Split('/').Last();
        byte[]? content;
        string? contentPath;
        lock (_gate)
        {
            var found = _items.TryGetValue(id, out var item) && context.Request.Query.ContainsKey("tempauth");
            content = found ? item!.Content : null;
            contentPath = found ? item!.ContentPath : null;
        }
        if (content is null)
        {
            context.Response.StatusCode = 404;
            return;
        }
        context.Response.ContentType = "application/octet-stream";
        if (contentPath is not null)
        {
            await using var file = new FileStream(contentPath, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.Asynchronous | FileOptions.SequentialScan);
            context.Response.ContentLength = file.Length;
            await file.CopyToAsync(context.Response.Body);
            return;
        }
        context.Response.ContentLength = content.Length;
        if (HoldDownloadsAfterFirstChunk is { } hold && content.Length > FirstChunk)
        {
            await context.Response.Body.WriteAsync(content.AsMemory(0, FirstChunk));
            await context.Response.Body.FlushAsync();
            await hold.Task;
            await context.Response.Body.WriteAsync(content.AsMemory(FirstChunk));
            return;
        }
        await context.Response.Body.WriteAsync(content);
    }

    // ---- JSON shapes ----

    private static JsonObject Site() => new()
    {
        ["id"] = SiteId,
        ["name"] = "Engineering",
        ["displayName"] = "Engineering",
        ["webUrl"] = SiteUrl,
    };

    private static JsonObject Drive(string id, string name) => new()
    {
        ["id"] = id,
        ["name"] = name,
        ["driveType"] = "documentLibrary",
        ["webUrl"] = $"{SiteUrl}/{Uri.EscapeDataString(name)}",
    };

    private JsonObject ItemJson(FakeItem item, bool withPath, bool withListItem)
    {
        var json = new JsonObject { ["id"] = item.Id, ["name"] = item.Name };
        if (item.ParentId is not null)
        {
            var parent = new JsonObject { ["driveId"] = DocumentsDriveId, ["driveType"] = "documentLibrary", ["id"] = item.ParentId };
            if (withPath)
            {
                parent["path"] = $"/drives/{DocumentsDriveId}/root:" + Uri.EscapeDataString(RelativeFolder(item.ParentId)).Replace("%2F", "/", StringComparison.Ordinal);
            }
            json["parentReference"] = parent;
        }
        if (item.Deleted)
        {
            json["deleted"] = new JsonObject { ["state"] = "deleted" };
            return json;
        }
        switch (item.Kind)
        {
            case Kind.Root:
                json["root"] = new JsonObject();
                json["folder"] = new JsonObject { ["childCount"] = 0 };
                return json;
            case Kind.Folder:
                json["folder"] = new JsonObject { ["childCount"] = 0 };
                return json;
            case Kind.Package:
                json["package"] = new JsonObject { ["type"] = "oneNote" };
                return json;
        }
        json["eTag"] = $"\"{{{item.Guid}}},{item.Version}\"";
        json["cTag"] = $"\"c:{{{item.Guid}}},{item.ContentVersion}\"";
        json["size"] = item.Size;
        json["webUrl"] = $"{SiteUrl}/Shared%20Documents{RelativeFolder(item.ParentId!)}/{Uri.EscapeDataString(item.Name)}";
        json["createdDateTime"] = item.Created.ToString("O", CultureInfo.InvariantCulture);
        json["lastModifiedDateTime"] = item.Modified.ToString("O", CultureInfo.InvariantCulture);
        json["createdBy"] = new JsonObject { ["user"] = new JsonObject { ["displayName"] = "Priya Nair", ["email"] = "priya@kmrl.example" } };
        json["lastModifiedBy"] = new JsonObject { ["user"] = new JsonObject { ["displayName"] = "Joseph Mathew", ["email"] = "joseph@kmrl.example" } };
        json["file"] = new JsonObject
        {
            // Graph derives file.mimeType from the extension, as this map does.
            ["mimeType"] = MimeTypes.TryGetContentType(item.Name, out var mimeType) ? mimeType : "application/octet-stream",
            ["hashes"] = new JsonObject { ["quickXorHash"] = Convert.ToBase64String(System.Security.Cryptography.SHA1.HashData(item.HashInput)[..20]) },
        };
        if (withListItem)
        {
            json["listItem"] = new JsonObject
            {
                ["id"] = item.Seq.ToString(CultureInfo.InvariantCulture),
                ["contentType"] = new JsonObject { ["id"] = "0x0101008A", ["name"] = "Engineering Drawing" },
                ["fields"] = new JsonObject
                {
                    ["@odata.etag"] = $"\"{item.Guid},{item.Version}\"",
                    ["Title"] = item.Title ?? item.Name,
                    ["DocumentNumber"] = "KMRL-DRG-" + item.Id[^4..],
                    ["Revision"] = item.ContentVersion,
                    ["_UIVersionString"] = $"{item.Version}.0",
                },
            };
        }
        return json;
    }

    private string RelativeFolder(string folderId)
    {
        var segments = new List<string>();
        for (var current = _items[folderId]; current.Kind != Kind.Root; current = _items[current.ParentId!])
        {
            segments.Insert(0, current.Name);
        }
        return segments.Count == 0 ? "" : "/" + string.Join('/', segments);
    }

    private static Task Json(HttpContext context, JsonObject body)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(body.ToJsonString());
    }

    private static Task Error(HttpContext context, int status, string code, string message)
    {
        context.Response.StatusCode = status;
        return Json(context, new JsonObject { ["error"] = new JsonObject { ["code"] = code, ["message"] = message } });
    }

    [GeneratedRegex(@"^/v1\.0/sites/(?<host>[^/:]+):(?<path>/[^:]*):?$")]
    private static partial Regex SiteByPath();

    [GeneratedRegex(@"^/v1\.0/sites/(?<site>[^/]+)/drives$")]
    private static partial Regex SiteDrives();

    [GeneratedRegex(@"^/v1\.0/sites/(?<site>[^/:]+)$")]
    private static partial Regex SiteById();

    // delta, delta() and delta(token='...'): the SDK sends the parenthesised forms.
    [GeneratedRegex(@"^/v1\.0/drives/(?<drive>[^/]+)/(items/root|root)/delta(\(\)|\(token='(?<token>[^']*)'\))?$")]
    private static partial Regex Delta();

    [GeneratedRegex(@"^/v1\.0/drives/(?<drive>[^/]+)/items/(?<item>[^/]+)/content$")]
    private static partial Regex Content();

    [GeneratedRegex(@"^/v1\.0/drives/(?<drive>[^/]+)/items/(?<item>[^/]+)$")]
    private static partial Regex ItemById();

    public async ValueTask DisposeAsync()
    {
        await _graph.DisposeAsync();
        await _downloads.DisposeAsync();
    }

    private enum Kind { Root, Folder, File, Package }

    private sealed class FakeItem(string id, string name, string? parentId, Kind kind)
    {
        public string Id { get; } = id;
        public string Name { get; } = name;
        public string? ParentId { get; set; } = parentId;
        public Kind Kind { get; } = kind;
        public Guid Guid { get; init; } = Guid.NewGuid();
        public byte[] Content { get; set; } = [];
        /// <summary>Set for files served from disk (<see cref="AddFileFromDisk"/>); <see cref="Content"/> is then empty.</summary>
        public string? ContentPath { get; init; }
        public long Size => ContentPath is null ? Content.Length : new FileInfo(ContentPath).Length;
        /// <summary>What the fake hash is computed over: the content, or for a file on disk its path and size (not re-read per listing).</summary>
        public byte[] HashInput => ContentPath is null ? Content : System.Text.Encoding.UTF8.GetBytes(ContentPath + ":" + Size);
        public string? Title { get; init; }
        public int Seq { get; set; }
        public int Version { get; set; } = 1;
        public int ContentVersion { get; set; } = 1;
        public bool Deleted { get; set; }
        public DateTimeOffset Created { get; set; }
        public DateTimeOffset Modified { get; set; }
    }
}
