using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Kmrl.ClaimCheck;
using Kmrl.Contracts;
using Kmrl.Dapr.Testing;
using Kmrl.DocumentApi.Ports;
using Kmrl.Testing.Documents;
using Kmrl.Testing.Servers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Kmrl.Ui.Tests;

/// <summary>
/// document-api's production Program on the Dapr test sidecar (Redis state and streams, the blob binding, the secret
/// store), in the Development environment so the development login is on, with two processed documents, a dead
/// letter, and the system Chromium driven by Playwright: headless, by its path, kept off the network.
/// </summary>
public sealed class StaffPagesFixture : IAsyncLifetime
{
    public const string ApiKey = "ui-tests-machine-key-0123456789abcdef";
    public const string OperatorKey = "ui-tests-operator-key-fedcba9876543210";
    public const string FailingSource = "ops@kmrl.example/INBOX";
    public const string HealthySource = "safety@kmrl.example/INBOX";
    public const string ChromiumPath = "/usr/bin/chromium";

    private readonly RedisServer _redis = new();
    private Microsoft.AspNetCore.Builder.WebApplication? _connector;
    private DaprTestEnvironment? _environment;
    private IPlaywright? _playwright;
    private readonly string _searchIndex = Directory.CreateTempSubdirectory("kmrl-ui-search-").FullName;

    public WebApplicationFactory<Program> App { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;
    public Uri BaseAddress => App.ClientOptions.BaseAddress;
    public HttpClient Machine { get; private set; } = null!;

    /// <summary>A Malayalam safety circular (routed to safety and operations) with a deadline ten days ahead.</summary>
    public string CircularId { get; private set; } = "";

    /// <summary>A scanned page (PNG): it has a searchable PDF/A copy.</summary>
    public string ScanId { get; private set; } = "";

    public DateOnly CircularDeadline { get; } = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(10);
    public string InvoiceId { get; private set; } = "";
    public string DeadLetterId { get; } = "ui-dead-letter-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>Screenshots of every page the tests visit: .data/ui-tests under the repository.</summary>
    public string ArtifactsDirectory { get; } = Path.Combine(RepositoryPaths.Root, ".data", "ui-tests");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(ArtifactsDirectory);
        await _redis.InitializeAsync();
        _environment = await DaprTestEnvironment.StartAsync(_redis, options =>
        {
            options.Secrets[DaprNames.Secrets.DocumentApiApiKeys] = new Dictionary<string, object> { ["ui-tests"] = ApiKey + ";upload,read" };
            options.Secrets[DaprNames.Secrets.ConnectorOperatorKeys] = new Dictionary<string, object> { [DaprNames.AppIds.DocumentApi] = OperatorKey + ";operator" };
        });
        await StartEmailConnectorStandInAsync();
        var sidecar = await _environment.StartSidecarAsync(DaprNames.AppIds.DocumentApi);
        App = await sidecar.StartAppAsync<Program>(new Dictionary<string, string>
        {
            ["Search:Lucene:IndexPath"] = _searchIndex,
            // No connector runs here: one short try each.
            ["DocumentApi:Connectors:TimeoutSeconds"] = "1",
        });
        Machine = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        Machine.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);

        var circular = $"""
            സുരക്ഷാ സർക്കുലർ
            എല്ലാ സ്റ്റേഷൻ ജോലിക്കാരും {CircularDeadline:dd/MM/yyyy} നകം പുതിയ സുരക്ഷാ നിർദ്ദേശങ്ങൾ വായിക്കണം.
            ഈ സർക്കുലറിൽ പറയുന്ന ജാഗ്രത നിർദ്ദേശങ്ങൾ ആലുവ സ്റ്റേഷനിൽ പാലിക്കണം.
            """;
        CircularId = await UploadAsync(Encoding.UTF8.GetBytes(circular), "suraksha-circular.txt");
        InvoiceId = await UploadAsync(Encoding.UTF8.GetBytes(
            "TAX INVOICE\nInvoice No: VEN/2026/118\nEscalator maintenance at Edappally station.\nAmount payable: Rs. 1,18,000 against PO 4500012345."),
            "invoice-118.txt");
        // A scan: OCR'd, and OCRmyPDF keeps a searchable PDF/A copy of it.
        ScanId = await UploadAsync(await TestCorpus.RenderPngAsync("Safety circular: platform edge markings at Aluva"), "platform-scan.png", "image/png");
        await WaitForAsync(CircularId, "processed");
        await WaitForAsync(InvoiceId, "processed");
        await WaitForAsync(ScanId, "processed");
        await WaitUntilSearchableAsync(CircularId);
        await WaitUntilSearchableAsync(InvoiceId);
        await SeedDeadLetterAsync();

        // Expect(...) waits 5 s by default: too little beside the other suites (see SignInAsync).
        Assertions.SetDefaultExpectTimeout(30_000);
        // The package's driver runs the system Chromium; no browser of its own is downloaded.
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Timeout = 30_000,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
            ],
        });
    }

    /// <summary>A fresh browser (its own cookies), signed in through the development login with these roles and departments.</summary>
    public async Task<IPage> SignInAsync(string name, string[] roles, string departments, string culture = "en")
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = BaseAddress.ToString(),
            AcceptDownloads = true,
            Locale = culture,
            ViewportSize = new ViewportSize { Width = 412, Height = 915 },
        });
        // `./build.sh test` runs the test projects side by side on 2 cores: a page that takes 1 s alone took over
        // 20 s while the document-api suite OCR'd beside it. Generous waits, so a slow page is not a failure.
        context.SetDefaultTimeout(60_000);
        context.SetDefaultNavigationTimeout(60_000);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/ui/inbox");
        // Not signed in: the page sends the person to the sign-in, which in Development is the form.
        await page.WaitForURLAsync("**/ui/dev-login**");
        await page.GetByLabel("Name").FillAsync(name);
        foreach (var role in roles)
        {
            await page.Locator($"#role-{role}").CheckAsync();
        }
        await page.Locator("#departments").FillAsync(departments);
        await page.Locator("#sign-in").ClickAsync();
        await page.WaitForURLAsync("**/ui/inbox**");
        return page;
    }

    public Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ArtifactsDirectory, name + ".png"), FullPage = true });

    public async Task<string> UploadAsync(byte[] content, string name, string contentType = "text/plain; charset=utf-8")
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(content);
        file.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        form.Add(file, "file", name);
        var response = await Machine.PostAsync("/documents", form);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        return body!["documents"]![0]!["documentId"]!.GetValue<string>();
    }

    public async Task<JsonObject> WaitForAsync(string id, string status)
    {
        // A scan is OCR'd and then copied to PDF/A by OCRmyPDF: beside other suites on 2 cores that took over a minute.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(180);
        JsonObject? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = await Machine.GetFromJsonAsync<JsonObject>($"/documents/{id}");
            if (string.Equals(last?["status"]?.GetValue<string>(), status, StringComparison.OrdinalIgnoreCase)) return last!;
            await Task.Delay(200);
        }
        throw new TimeoutException($"Document {id} did not reach '{status}': {last?.ToJsonString()}");
    }

    public async Task DisposeAsync()
    {
        if (_connector is not null) await _connector.DisposeAsync();
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
        Machine?.Dispose();
        if (App is not null) await App.DisposeAsync();
        if (_environment is not null) await _environment.DisposeAsync();
        await _redis.DisposeAsync();
        if (Directory.Exists(_searchIndex)) Directory.Delete(_searchIndex, recursive: true);
    }

    /// <summary>The index is fed by document-processed after the record is final: wait for the search to see it.</summary>
    private async Task WaitUntilSearchableAsync(string id)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            var results = await Machine.GetFromJsonAsync<JsonObject>("/search?pageSize=100");
            if (results!["hits"]!.AsArray().Any(h => h!["documentId"]!.GetValue<string>() == id)) return;
            await Task.Delay(200);
        }
        throw new TimeoutException($"Document {id} never became searchable.");
    }

    /// <summary>
    /// email-connector's status route behind its own sidecar, answering the connector host's response type to its
    /// operator key only (as the host does): a source that failed twice in a row, quiet for days, and a healthy one.
    /// </summary>
    private async Task StartEmailConnectorStandInAsync()
    {
        var sidecar = await _environment!.StartSidecarAsync(DaprNames.AppIds.EmailConnector);
        var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _connector = builder.Build();
        _connector.MapGet(Kmrl.Connectors.Apis.ConnectorHostApi.StatusPath, (Microsoft.AspNetCore.Http.HttpRequest request) =>
        {
            if (request.Headers.Authorization.ToString() != "Bearer " + OperatorKey) return Microsoft.AspNetCore.Http.Results.Unauthorized();
            var now = DateTimeOffset.UtcNow;
            var run = new Kmrl.Connectors.Sync.SyncRunResult(FailingSource, "run-7", Kmrl.Connectors.Sync.SyncOutcome.Failed, now.AddSeconds(-5), now,
                Kmrl.Connectors.Sync.SyncCounts.None, "IMAP login refused");
            var source = new Kmrl.Connectors.Apis.SourceStatusResponse(FailingSource, false, run, null, now.AddHours(-2), "IMAP login refused", now, 2,
                Kmrl.Connectors.Observability.SourceTotals.None, null,
                [new Kmrl.Connectors.Observability.SkippedItem("dead-lettered", "uid-41", "budget-2027.xlsx", "blob store unavailable", 5, now.AddHours(-3))],
                LastDocumentAt: now.AddDays(-3).AddHours(-5));
            var completed = run with { Source = HealthySource, RunId = "run-8", Outcome = Kmrl.Connectors.Sync.SyncOutcome.Completed, Error = null };
            var healthy = new Kmrl.Connectors.Apis.SourceStatusResponse(HealthySource, false, completed, null, now.AddMinutes(-3), null, null, 0,
                Kmrl.Connectors.Observability.SourceTotals.None, null, [], LastDocumentAt: now.AddMinutes(-20));
            return Microsoft.AspNetCore.Http.Results.Json(new Kmrl.Connectors.Apis.ConnectorStatusResponse("email", "email-schedule", "Degraded", [source, healthy]),
                Kmrl.ServiceDefaults.KmrlJson.Options);
        });
        await _connector.StartAsync();
        await sidecar.AttachAppAsync(new Uri(_connector.Urls.First()));
    }

    /// <summary>A discovery pub/sub gave up on, as the dead-letter subscription keeps it: content in the blob store, the event in the catalog.</summary>
    private async Task SeedDeadLetterAsync()
    {
        var content = App.Services.GetRequiredService<IDocumentContentStore>();
        var catalog = App.Services.GetRequiredService<ICatalog>();
        var bytes = Encoding.UTF8.GetBytes("Station cleaning roster for Kaloor, week 49. Safety circular reminder for all staff.");
        await using var stream = new MemoryStream(bytes);
        var blob = await content.WriteAsync("ui-dead-letter-" + DeadLetterId, stream, CancellationToken.None);
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
        var discovered = new DocumentDiscovered(IdempotencyKey.For("email", DeadLetterId, sha), "email", DeadLetterId, "kaloor-roster.txt",
            "text/plain", bytes.Length, sha, blob, new Dictionary<string, string> { ["from"] = "station.kaloor@kmrl.example" }, DateTimeOffset.UtcNow);
        await catalog.SaveDeadLetterAsync(new DeadLetter(DeadLetterId, discovered, DateTimeOffset.UtcNow), CancellationToken.None);
    }
}

[CollectionDefinition(Name)]
public sealed class StaffPagesCollection : ICollectionFixture<StaffPagesFixture>
{
    public const string Name = "staff pages";
}
