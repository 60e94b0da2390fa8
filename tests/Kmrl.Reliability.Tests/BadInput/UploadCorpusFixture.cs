using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Kmrl.Reliability.Tests.Support;

namespace Kmrl.Reliability.Tests.BadInput;

/// <summary>
/// Starts document-api once and sends every case of <see cref="UploadCases"/> at it concurrently (plus one good
/// document first), so the whole corpus costs about as long as its slowest case; each theory row then awaits its own
/// outcome. Accepted uploads are followed to the end of the workflow.
/// </summary>
public sealed class UploadCorpusFixture : IAsyncLifetime
{
    private readonly Dictionary<string, Task<string>> _outcomes = new(StringComparer.Ordinal);
    private readonly List<string> _acceptedUploadIds = [];
    private readonly Lock _gate = new();

    public DocumentApiHost Host { get; private set; } = null!;

    /// <summary>A good document uploaded just before the corpus.</summary>
    public Task<string> GoodDocumentBefore { get; private set; } = null!;

    public Task AllCases => Task.WhenAll(_outcomes.Values);

    public IReadOnlyList<string> AcceptedUploadIds
    {
        get { lock (_gate) { return [.. _acceptedUploadIds]; } }
    }

    public async Task InitializeAsync()
    {
        Host = await DocumentApiHost.StartAsync(new Dictionary<string, string>
        {
            ["DocumentApi:Upload:MaxFileBytes"] = UploadCases.MaxFileBytes.ToString(CultureInfo.InvariantCulture),
        });
        GoodDocumentBefore = UploadGoodDocumentAsync("before the corpus");
        foreach (var item in UploadCases.All)
        {
            _outcomes[item.Name] = Task.Run(() => RunAsync(item));
        }
    }

    public Task<string> OutcomeOfAsync(string caseName) => _outcomes[caseName];

    /// <summary>Uploads a good text PDF and returns the document's final status.</summary>
    public async Task<string> UploadGoodDocumentAsync(string label)
    {
        using var http = Host.CreateClient();
        using var request = new MultipartBody().File($"good-{label.Replace(' ', '-')}.pdf", UploadCases.Pdf("good document " + label)).ToRequest();
        using var response = await http.SendAsync(request);
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            return $"http:{(int)response.StatusCode}";
        }
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        lock (_gate)
        {
            _acceptedUploadIds.Add(body!["uploadId"]!.GetValue<string>());
        }
        var record = await DocumentApiHost.WaitForFinalStatusAsync(http, body["documents"]![0]!["documentId"]!.GetValue<string>());
        return record["status"]!.GetValue<string>().ToLowerInvariant();
    }

    private async Task<string> RunAsync(UploadCase item)
    {
        using var http = Host.CreateClient();
        if (item.RawRequest is { } raw)
        {
            return $"http:{await RawHttp.SendAsync(Host.BaseAddress, raw(Host.BaseAddress))}";
        }
        using var request = item.Request!();
        using var response = await http.SendAsync(request);
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            var problem = response.Content.Headers.ContentType?.MediaType == "application/problem+json" ? "" : ":no-problem-details";
            return $"http:{(int)response.StatusCode}{problem}";
        }
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        lock (_gate)
        {
            _acceptedUploadIds.Add(body!["uploadId"]!.GetValue<string>());
        }
        var outcomes = new List<string>();
        foreach (var document in body!["documents"]!.AsArray())
        {
            var id = document!["documentId"]!.GetValue<string>();
            var record = await DocumentApiHost.WaitForFinalStatusAsync(http, id);
            outcomes.Add(await DescribeAsync(http, id, record, item.ReportName));
        }
        return string.Join(" + ", outcomes);
    }

    internal static async Task<string> DescribeAsync(HttpClient http, string id, JsonObject record, bool reportName)
    {
        var status = record["status"]!.GetValue<string>().ToLowerInvariant();
        var outcome = status;
        if (status == "rejected")
        {
            var stage = record["rejection"]!["stage"]!.GetValue<string>();
            var reason = record["rejection"]!["reason"]!.GetValue<string>();
            outcome = stage == "validate" ? "rejected:" + reason.Split(':')[0] : $"rejected:{stage}-failed";
        }
        if (reportName)
        {
            var name = record["fileName"]!.GetValue<string>();
            outcome += name.Length > 100 ? $":name-length={name.Length}" : ":name=" + Visible(name);
        }
        // The original must be readable whatever its name: a 500 here is the service failing, not the input.
        using var content = await http.GetAsync($"/documents/{id}/content");
        if (!content.IsSuccessStatusCode)
        {
            outcome += $":content-http:{(int)content.StatusCode}";
        }
        return outcome;
    }

    /// <summary>Control and format characters as \uXXXX, so the report shows what was stored.</summary>
    public static string Visible(string text)
    {
        var builder = new StringBuilder();
        foreach (var c in text)
        {
            if (char.IsControl(c) || char.GetUnicodeCategory(c) == UnicodeCategory.Format)
            {
                builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
            }
            else
            {
                builder.Append(c);
            }
        }
        return builder.ToString();
    }

    public async Task DisposeAsync()
    {
        try
        {
            await AllCases;
        }
        catch (Exception)
        {
            // A failed case is reported by its own theory row; the host must be stopped regardless.
        }
        await Host.DisposeAsync();
    }
}
