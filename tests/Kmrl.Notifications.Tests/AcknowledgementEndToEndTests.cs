extern alias documentapi;

using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Kmrl.Contracts;
using Kmrl.Dapr.Testing;
using Kmrl.Notifications.Deadlines;
using Kmrl.ServiceDefaults.Security;
using Kmrl.Testing.Servers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace Kmrl.Notifications.Tests;

/// <summary>
/// The one acknowledgement, end to end on the sidecar double: document-api's production Program processes an invoice
/// with a deadline and announces it, notifications mails the finance department a reminder through bindings.smtp to a
/// real SMTP server on loopback, a department admin acknowledges it on the staff pages (signed in, with the page's
/// antiforgery token), and notifications, told on pub/sub, sends no further reminder when the next lead time comes.
/// </summary>
public sealed partial class AcknowledgementEndToEndTests(RedisServer redis, ITestOutputHelper output) : IClassFixture<RedisServer>
{
    private const string ApiKey = "ack-e2e-portal-key-0123456789abcdef";

    [Fact]
    public async Task A_deadline_reminder_then_an_acknowledgement_on_the_staff_pages_and_no_further_reminder()
    {
        // The notifications clock starts at the real now, as document-api's, and is moved on later.
        var now = DateTimeOffset.UtcNow;
        var zone = TimeZoneInfo.FindSystemTimeZoneById("Asia/Kolkata");
        var due = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime).AddDays(4);
        await using var rig = await NotificationRig.StartAsync(redis, now, output, configure: options =>
            options.Secrets[DaprNames.Secrets.DocumentApiApiKeys] = new Dictionary<string, object> { ["portal"] = ApiKey + ";upload,read" });
        using var index = new TempDirectory("ack-e2e-search");
        var documentSidecar = await rig.Environment.StartSidecarAsync(DaprNames.AppIds.DocumentApi);
        await using var documentApi = await documentSidecar.StartAppAsync<documentapi::Program>(new Dictionary<string, string>
        {
            ["Search:Lucene:IndexPath"] = index.Path,
        });
        var baseAddress = documentApi.ClientOptions.BaseAddress;

        // An invoice due in four days: the seven-day reminder is due at once.
        using var machine = new HttpClient { BaseAddress = baseAddress };
        machine.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        var documentId = await UploadAsync(machine, "TAX INVOICE\nInvoice No: VEN/2026/311\nEscalator maintenance at Edappally station.\n"
            + $"Amount payable: Rs. 1,18,000.\nPayment is due on or before {due.ToString("dd/MM/yyyy", CultureInfo.InvariantCulture)}.\n");
        await WaitForProcessedAsync(machine, documentId);
        await rig.DeliveredAsync(DaprNames.Topics.DocumentDeadlineApproaching, 1);
        var reminder = Assert.Single(await rig.Smtp.WaitForAsync(1));
        Assert.Equal([NotificationRig.Finance], reminder.To);
        Assert.Contains("4 days left", reminder.Html);

        // A finance department admin acknowledges it on the document's page.
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() }) { BaseAddress = baseAddress };
        await SignInAsync(browser, "Anitha Menon", StaffRoles.DepartmentAdmin, "finance");
        var page = await browser.GetStringAsync($"/ui/documents/{documentId}");
        var form = AcknowledgeForm().Match(page);
        Assert.True(form.Success, page);
        using (var acknowledged = await browser.PostAsync(WebUtility.HtmlDecode(form.Groups["action"].Value), new FormUrlEncodedContent(
        [
            new("deadline", due.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
            new("__RequestVerificationToken", TokenOf(page)),
        ])))
        {
            Assert.Equal(HttpStatusCode.Redirect, acknowledged.StatusCode);
        }
        await rig.DeliveredAsync(DaprNames.Topics.DeadlineAcknowledged, 1);
        var stopped = await rig.App.Services.GetRequiredService<DeadlineReminders>()
            .GetAsync(DeadlineReminders.IdOf(documentId, due), CancellationToken.None);
        Assert.Equal(("Anitha Menon", DeadlineAcknowledged.ViaStaff), (stopped!.AcknowledgedBy, stopped.AcknowledgedVia));

        // The day before the deadline, after the hour: the one-day reminder would be due, and is not sent.
        var settings = rig.App.Services.GetRequiredService<IOptions<NotificationOptions>>().Value;
        rig.Time.SetUtcNow(settings.LocalInstant(due.AddDays(-1), settings.DigestHour + 1));
        Assert.Equal(HttpStatusCode.OK, await rig.Sidecar.FireCronAsync(DaprNames.NotificationBindings.Schedule));
        // (The same tick sends finance its digest of the days before; that is not a reminder.)
        Assert.Single(rig.Smtp.Received, mail => mail.Subject.StartsWith("[KMRL] Deadline", StringComparison.Ordinal));
        Assert.Single(rig.Webhook.Received, post => post.Json.GetProperty("kind").GetString() == "deadline-reminder");

        // The page shows who acknowledged, from document-api's one record.
        using var reader = new HttpClient { BaseAddress = baseAddress };
        reader.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        var deadlines = await reader.GetFromJsonAsync<JsonObject>($"/documents/{documentId}/deadlines");
        Assert.Equal("Anitha Menon", (string?)deadlines!["deadlines"]![0]!["acknowledged"]!["by"]);
    }

    private static async Task<string> UploadAsync(HttpClient http, string text)
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(Encoding.UTF8.GetBytes(text));
        file.Headers.ContentType = MediaTypeHeaderValue.Parse("text/plain");
        form.Add(file, "file", "invoice-311.txt");
        using var response = await http.PostAsync("/documents", form);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        return body!["documents"]![0]!["documentId"]!.GetValue<string>();
    }

    private static async Task WaitForProcessedAsync(HttpClient http, string id)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        string? status = null;
        while (DateTime.UtcNow < deadline)
        {
            status = (await http.GetFromJsonAsync<JsonObject>($"/documents/{id}"))?["status"]?.GetValue<string>();
            if (string.Equals(status, "processed", StringComparison.OrdinalIgnoreCase)) return;
            Assert.False(string.Equals(status, "rejected", StringComparison.OrdinalIgnoreCase), $"{id} was rejected");
            await Task.Delay(200);
        }
        throw new TimeoutException($"{id} was not processed in 60 s (last status {status})");
    }

    /// <summary>The development login, as a browser does it: its form's antiforgery token, then the POST.</summary>
    private static async Task SignInAsync(HttpClient browser, string name, string role, string departments)
    {
        var login = await browser.GetStringAsync("/ui/dev-login");
        using var signedIn = await browser.PostAsync(StaffSignIn.DevelopmentSignInPath, new FormUrlEncodedContent(
        [
            new("__RequestVerificationToken", TokenOf(login)), new("name", name), new("role", role), new("departments", departments),
            new("returnUrl", "/ui/search"),
        ]));
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
    }

    private static string TokenOf(string html)
    {
        var match = TokenField().Match(html);
        Assert.True(match.Success, "the page has no antiforgery token");
        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex TokenField();

    [GeneratedRegex("<form[^>]*action=\"(?<action>[^\"]*handler=Acknowledge[^\"]*)\"")]
    private static partial Regex AcknowledgeForm();
}
