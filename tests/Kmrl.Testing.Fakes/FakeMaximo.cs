using System.Collections.Concurrent;
using Xunit;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Kmrl.Testing.Fakes;

/// <summary>One work order with its attachments, as the fake serves it.</summary>
public sealed record FakeWorkOrder(string WoNum, string SiteId, string Description, string Status, DateTimeOffset ChangeDate, List<FakeDocLink> DocLinks);

/// <summary>An attachment; <paramref name="Origin"/> set means its href names that origin instead of the fake's own (a hostile or misconfigured Maximo).</summary>
public sealed record FakeDocLink(int Id, string FileName, string DocType, string Description, DateTimeOffset Created, byte[] Content, string? Origin = null);

/// <summary>
/// A local stand-in for Maximo's REST API (Kestrel on 127.0.0.1:0) speaking its JSON shapes: lean records,
/// <c>oslc.where=changedate&gt;="..."</c>, ascending order, paging through <c>responseInfo.nextPage.href</c>,
/// doclinks as a collection href with members and <c>describedBy</c>, attachment bytes, Maximo error bodies.
/// </summary>
public sealed partial class FakeMaximo : IAsyncDisposable
{
    public const string ApiKey = "kmrl-test-key";
    private readonly WebApplication _app;

    public List<FakeWorkOrder> WorkOrders { get; } = [];

    /// <summary>Status codes to answer the next requests with, before serving normally.</summary>
    public ConcurrentQueue<int> Failures { get; } = new();

    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>Every request that carried a credential header (<c>apikey</c> or <c>maxauth</c>), by path.</summary>
    public ConcurrentQueue<string> CredentialedRequests { get; } = new();

    /// <summary>Serve doclinks inline in the record (<c>doclinks{*}</c> expanded) instead of behind a collection href.</summary>
    public bool InlineDocLinks { get; set; }

    public string BaseUrl { get; private set; } = string.Empty;

    private FakeMaximo(WebApplication app) => _app = app;

    public static async Task<FakeMaximo> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var fake = new FakeMaximo(app);
        app.Use(fake.GuardAsync);
        app.MapGet("/maximo/{api}/os/mxapiwodetail", fake.Query);
        app.MapGet("/maximo/{api}/os/mxapiwodetail/{wo}/doclinks", fake.DocLinks);
        app.MapGet("/maximo/{api}/os/mxapiwodetail/{wo}/doclinks/{id:int}", fake.Attachment);
        await app.StartAsync();
        fake.BaseUrl = app.Urls.First();
        return fake;
    }

    public int AttachmentDownloads => Requests.Count(r => AttachmentPath().IsMatch(r));

    private async Task GuardAsync(HttpContext context, Func<Task> next)
    {
        Requests.Enqueue(context.Request.Path + context.Request.QueryString);
        if (context.Request.Headers.ContainsKey("apikey") || context.Request.Headers.ContainsKey("maxauth"))
        {
            CredentialedRequests.Enqueue(context.Request.Path.ToString());
        }
        if (Failures.TryDequeue(out var status))
        {
            context.Response.StatusCode = status;
            await context.Response.WriteAsJsonAsync(Error(status, "BMXAA9999E - injected failure"));
            return;
        }
        var api = context.Request.Path.Value!.Split('/')[2];
        var authorised = api switch
        {
            "api" => context.Request.Headers["apikey"] == ApiKey,
            "oslc" => context.Request.Headers["maxauth"] == Convert.ToBase64String("maxadmin:maxpass"u8),
            _ => false,
        };
        if (!authorised)
        {
            context.Response.StatusCode = 401;
            await context.Response.WriteAsJsonAsync(Error(401, "BMXAA0021E - User name and password combination are not valid."));
            return;
        }
        await next();
    }

    private static object Error(int status, string message) =>
        new Dictionary<string, object> { ["Error"] = new { message, statusCode = status.ToString(CultureInfo.InvariantCulture), reasonCode = message[..10] } };

    private IResult Query(HttpContext context, string api)
    {
        var query = context.Request.Query;
        Assert.Equal("1", query["lean"]);
        Assert.Equal("+changedate", query["oslc.orderBy"]);
        Assert.Contains("doclinks", query["oslc.select"].ToString());
        var pageSize = int.Parse(query["oslc.pageSize"]!, CultureInfo.InvariantCulture);
        var pageNumber = int.TryParse(query["pageno"], CultureInfo.InvariantCulture, out var n) ? n : 1;
        IEnumerable<FakeWorkOrder> selected = WorkOrders;
        if (query["oslc.where"].ToString() is { Length: > 0 } where)
        {
            var match = WhereClause().Match(where);
            Assert.True(match.Success, $"unexpected oslc.where {where}");
            var since = DateTimeOffset.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture);
            selected = match.Groups[1].Value == ">=" ? selected.Where(w => w.ChangeDate >= since) : selected.Where(w => w.ChangeDate > since);
        }
        var ordered = selected.OrderBy(w => w.ChangeDate).ToList();
        var page = ordered.Skip((pageNumber - 1) * pageSize).Take(pageSize).ToList();
        var self = $"{BaseUrl}{context.Request.Path}";
        var responseInfo = new Dictionary<string, object?>
        {
            ["href"] = self + context.Request.QueryString,
            ["pagenum"] = pageNumber,
            ["totalCount"] = ordered.Count,
        };
        if (pageNumber * pageSize < ordered.Count)
        {
            var next = QueryString.Create(query.Where(q => q.Key != "pageno").SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string?>(q.Key, v))))
                .Add("pageno", (pageNumber + 1).ToString(CultureInfo.InvariantCulture));
            responseInfo["nextPage"] = new { href = self + next };
        }
        return Results.Json(new
        {
            member = page.Select(w => Record(w, self)),
            responseInfo,
        });
    }

    private object Record(FakeWorkOrder wo, string collection)
    {
        var href = $"{collection}/_{Convert.ToBase64String(Encoding.UTF8.GetBytes(wo.WoNum))}";
        return new Dictionary<string, object>
        {
            ["href"] = href,
            ["wonum"] = wo.WoNum,
            ["siteid"] = wo.SiteId,
            ["description"] = wo.Description,
            ["status"] = wo.Status,
            ["assetnum"] = "PUMP-" + wo.WoNum,
            ["changedate"] = wo.ChangeDate.ToString("yyyy-MM-dd'T'HH:mm:ssK", CultureInfo.InvariantCulture),
            ["doclinks"] = InlineDocLinks
                ? new { member = wo.DocLinks.Select(d => Member(d, href + "/doclinks")) }
                : new { href = href + "/doclinks" },
        };
    }

    private object Member(FakeDocLink link, string collection) => new
    {
        href = link.Origin is { } origin ? $"{collection.Replace(BaseUrl, origin, StringComparison.Ordinal)}/{link.Id}" : $"{collection}/{link.Id}",
        describedBy = new
        {
            identifier = link.Id.ToString(CultureInfo.InvariantCulture),
            fileName = link.FileName,
            docType = link.DocType,
            description = link.Description,
            title = Path.GetFileNameWithoutExtension(link.FileName),
            createby = "WILSON",
            created = link.Created.ToString("yyyy-MM-dd'T'HH:mm:ssK", CultureInfo.InvariantCulture),
            format = new { label = "application/pdf" },
            attachmentSize = link.Content.Length,
            href = $"{collection}/meta/{link.Id}",
        },
    };

    private IResult DocLinks(HttpContext context, string wo) =>
        Find(wo) is { } workOrder
            ? Results.Json(new { member = workOrder.DocLinks.Select(d => Member(d, $"{BaseUrl}{context.Request.Path}")) })
            : Results.NotFound();

    private IResult Attachment(string wo, int id) =>
        Find(wo)?.DocLinks.FirstOrDefault(d => d.Id == id) is { } link
            ? Results.Bytes(link.Content, "application/pdf")
            : Results.NotFound();

    private FakeWorkOrder? Find(string encoded) =>
        WorkOrders.FirstOrDefault(w => "_" + Convert.ToBase64String(Encoding.UTF8.GetBytes(w.WoNum)) == encoded);

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    [GeneratedRegex("^changedate(>=|>)\"([^\"]+)\"$")]
    private static partial Regex WhereClause();

    [GeneratedRegex(@"/doclinks/\d+$")]
    private static partial Regex AttachmentPath();
}
