using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Kmrl.ClaimCheck;
using Kmrl.Contracts;
using Kmrl.DocumentApi.Apis;
using Kmrl.DocumentApi.Model;
using Kmrl.DocumentApi.Ports;
using Kmrl.DocumentApi.Processing;
using Kmrl.ServiceDefaults;
using Kmrl.ServiceDefaults.Security;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Kmrl.DocumentApi.Tests.Api;

/// <summary>
/// The JSON acknowledgement route: a signed-in person's call (the staff cookie) needs the page's antiforgery token,
/// an API key's does not; every acknowledgement is announced as DeadlineAcknowledged, and one announced by the
/// notifications service (a reminder link) is recorded here, in the one record.
/// </summary>
public sealed partial class AcknowledgementApiTests(DocumentApiFactory factory) : IClassFixture<DocumentApiFactory>
{
    private static readonly DateOnly Due = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(5);

    /// <summary>
    /// The development sign-in exists only in Development; the rest of the factory stays as it is but for its own
    /// search index (Lucene holds a write lock on its folder while the class's other host runs).
    /// </summary>
    private WebApplicationFactory<Program> Development(string indexPath) => factory.WithWebHostBuilder(web => web
        .UseEnvironment("Development")
        .UseSetting("Search:Lucene:IndexPath", indexPath));

    [Fact]
    public async Task A_signed_in_acknowledgement_without_the_antiforgery_token_is_refused_and_with_it_is_recorded_and_announced()
    {
        var index = Directory.CreateTempSubdirectory("kmrl-search-dev-");
        using var app = Development(index.FullName);
        var record = await SeedAsync(app.Services);
        using var browser = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        await SignInAsync(browser, "Anitha", StaffRoles.DepartmentAdmin, "finance");
        var route = $"/documents/{record.DocumentId}/deadlines/{Due:yyyy-MM-dd}/acknowledgement";

        using (var forged = await browser.PostAsync(route, null))
        {
            // What a page on another site could send with the person's cookie: refused, and nothing recorded.
            Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
            Assert.Equal("application/problem+json", forged.Content.Headers.ContentType?.MediaType);
        }
        Assert.Empty(Announced(record.DocumentId));

        var token = await TokenOfAsync(browser, $"/ui/documents/{record.DocumentId}");
        using var request = new HttpRequestMessage(HttpMethod.Post, route);
        request.Headers.Add("RequestVerificationToken", token);
        using var accepted = await browser.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        var body = await accepted.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal("Anitha", (string?)body!["by"]);
        var announced = Assert.Single(Announced(record.DocumentId));
        Assert.Equal((Due, "Anitha", DeadlineAcknowledged.ViaStaff), (announced.Deadline, announced.AcknowledgedBy, announced.Via));
        await app.DisposeAsync();
        index.Delete(recursive: true);
    }

    [Fact]
    public async Task An_api_key_acknowledges_without_an_antiforgery_token_and_a_second_call_announces_the_one_that_stands()
    {
        var record = await SeedAsync(factory.Services);
        using var machine = factory.ClientWith(DocumentApiFactory.UploadKey);
        var route = $"/documents/{record.DocumentId}/deadlines/{Due:yyyy-MM-dd}/acknowledgement";

        using var first = await machine.PostAsync(route, null);
        using var second = await machine.PostAsync(route, null);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var announced = Announced(record.DocumentId);
        Assert.Equal(2, announced.Count);
        Assert.Single(announced.Select(a => (a.AcknowledgedBy, a.AcknowledgedAt)).Distinct());
    }

    [Fact]
    public async Task A_reminder_links_acknowledgement_from_pub_sub_is_recorded_once_and_the_first_one_stands()
    {
        var record = await SeedAsync(factory.Services);
        var at = DateTimeOffset.UtcNow.AddMinutes(-3);
        var link = new DeadlineAcknowledged(record.DocumentId, Due, "reminder link", DeadlineAcknowledged.ViaReminderLink, at);

        await DeliverAsync(link);
        await DeliverAsync(link with { AcknowledgedBy = "someone later", AcknowledgedAt = at.AddMinutes(1) });

        using var reader = factory.ClientWith(DocumentApiFactory.ReadKey);
        var deadlines = await reader.GetFromJsonAsync<JsonObject>($"/documents/{record.DocumentId}/deadlines");
        var acknowledged = deadlines!["deadlines"]![0]!["acknowledged"]!;
        Assert.Equal("reminder link", (string?)acknowledged["by"]);
        Assert.Equal(DeadlineAcknowledged.ViaReminderLink, (string?)acknowledged["via"]);
        // Recorded, not announced again: the notifications service already knows.
        Assert.Empty(Announced(record.DocumentId));
    }

    private List<DeadlineAcknowledged> Announced(string documentId) =>
        factory.Events.On<DeadlineAcknowledged>(DaprNames.Topics.DeadlineAcknowledged).Where(a => a.DocumentId == documentId).ToList();

    private static async Task<DocumentRecord> SeedAsync(IServiceProvider services)
    {
        var store = services.GetRequiredService<IDocumentContentStore>();
        const string text = "Tender corrigendum: bids are due before the date below.";
        var intake = await Intakes.StoreAsync(store, Encoding.UTF8.GetBytes(text), "tender.pdf", TestCorpus.Pdf, DocumentSources.Email,
            "INBOX/" + Guid.NewGuid().ToString("N"));
        var now = DateTimeOffset.UtcNow;
        var record = new DocumentRecord
        {
            DocumentId = intake.DocumentId, Sha256 = intake.Sha256, FileName = "tender.pdf", ContentType = TestCorpus.Pdf, Size = intake.Size,
            Blob = intake.Blob, Status = DocumentStatus.Processed, Provenance = [intake.ToProvenance()], CreatedAt = now, UpdatedAt = now,
            TextBlob = await TextBlobs.WriteAsync(store, intake.DocumentId, text, CancellationToken.None),
            DocumentType = "tender", Departments = ["finance"], Language = Languages.English, Summary = text,
            KeyFields = KeyFields.None with { Deadlines = [Due] },
        };
        await services.GetRequiredService<ICatalog>().SaveAsync(record, CancellationToken.None);
        return record;
    }

    /// <summary>The development login, as a browser does it: its form's token first, then the POST.</summary>
    private static async Task SignInAsync(HttpClient browser, string name, string role, string departments)
    {
        var token = await TokenOfAsync(browser, "/ui/dev-login");
        using var signedIn = await browser.PostAsync(StaffSignIn.DevelopmentSignInPath, new FormUrlEncodedContent(
        [
            new("__RequestVerificationToken", token), new("name", name), new("role", role), new("departments", departments), new("returnUrl", "/ui/search"),
        ]));
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
    }

    private static async Task<string> TokenOfAsync(HttpClient browser, string page)
    {
        var html = await browser.GetStringAsync(page);
        var match = TokenField().Match(html);
        Assert.True(match.Success, $"{page} has no antiforgery token");
        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }

    private async Task DeliverAsync(DeadlineAcknowledged data)
    {
        var envelope = new JsonObject
        {
            ["specversion"] = "1.0",
            ["type"] = "com.dapr.event.sent",
            ["source"] = DaprNames.AppIds.Notifications,
            ["id"] = Guid.NewGuid().ToString(),
            ["datacontenttype"] = "application/json",
            ["data"] = JsonSerializer.SerializeToNode(data, KmrlJson.Options),
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, InboxApi.AcknowledgedRoute)
        {
            Content = new StringContent(envelope.ToJsonString(), Encoding.UTF8, "application/cloudevents+json"),
        };
        request.Headers.Add("dapr-api-token", DocumentApiFactory.SidecarToken);
        using var response = await factory.CreateClient().SendAsync(request);
        response.EnsureSuccessStatusCode();
        Assert.Equal("SUCCESS", (string?)(await response.Content.ReadFromJsonAsync<JsonObject>())!["status"]);
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex TokenField();
}
