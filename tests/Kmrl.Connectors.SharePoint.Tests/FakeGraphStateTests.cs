using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Kmrl.Connectors.SharePoint.Tests;

/// <summary>The local demo's library: a FakeGraph on a state file keeps its items, its port and its delta tokens across a restart.</summary>
public sealed class FakeGraphStateTests
{
    [Fact]
    public async Task A_delta_link_issued_before_a_restart_still_answers_with_only_the_changes_made_after_it()
    {
        var state = Path.Combine(Path.GetTempPath(), $"kmrl-graph-{Guid.NewGuid():N}.json");
        try
        {
            string deltaLink;
            Uri graphBase;
            await using (var first = await FakeGraph.StartAsync(state))
            {
                var folder = first.AddFolder("Drawings");
                first.AddFile("drawing-list.xlsx", folder, "register");
                graphBase = first.GraphBaseUrl;
                deltaLink = await DeltaLinkAsync(new Uri($"{first.GraphBaseUrl}/drives/{FakeGraph.DocumentsDriveId}/root/delta"));
            }

            await using var second = await FakeGraph.StartAsync(state);
            second.AddFile("KMRL-VD-201.pdf", second.FindFolder("Drawings")!, "%PDF drawing");
            using var http = Client();
            var changes = await http.GetFromJsonAsync<JsonObject>(deltaLink);

            Assert.Equal(graphBase, second.GraphBaseUrl);
            Assert.Equal(["KMRL-VD-201.pdf"], changes!["value"]!.AsArray().Select(item => item!["name"]!.GetValue<string>()));
        }
        finally
        {
            File.Delete(state);
        }
    }

    private static async Task<string> DeltaLinkAsync(Uri url)
    {
        using var http = Client();
        var next = url.ToString();
        while (true)
        {
            var page = await http.GetFromJsonAsync<JsonObject>(next);
            if (page!["@odata.deltaLink"] is { } link)
            {
                return link.GetValue<string>();
            }
            next = page["@odata.nextLink"]!.GetValue<string>();
        }
    }

    private static HttpClient Client()
    {
        var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", FakeGraph.Token);
        return http;
    }
}
