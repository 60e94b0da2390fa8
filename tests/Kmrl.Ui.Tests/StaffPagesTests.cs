using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Kmrl.Ui.Tests;

/// <summary>The staff pages in Chromium, signed in through the development login, against document-api on the sidecar double.</summary>
[Collection(StaffPagesCollection.Name)]
public sealed class StaffPagesTests(StaffPagesFixture fixture)
{
    [Fact]
    public async Task A_safety_reader_searches_in_malayalam_finds_the_circular_opens_it_and_downloads_the_original()
    {
        var page = await fixture.SignInAsync("Anitha", ["reader"], "safety");
        await page.Locator("#language-switch").ClickAsync();
        await page.GotoAsync("/ui/search");
        await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "ml");

        await page.GetByLabel("തിരയേണ്ട വാക്കുകൾ").FillAsync("സർക്കുലർ");
        await page.Locator("#search-button").ClickAsync();
        var hit = page.Locator($"li[data-document='{fixture.CircularId}']");
        await Expect(hit).ToBeVisibleAsync();
        await Expect(hit.Locator("mark").First).ToBeVisibleAsync();
        await Expect(page.Locator("fieldset[data-facet='department']")).ToContainTextAsync("safety");
        await fixture.ScreenshotAsync(page, "search-malayalam");

        await hit.Locator("a").ClickAsync();
        await page.WaitForURLAsync($"**/ui/documents/{fixture.CircularId}");
        await Expect(page.Locator("h1")).ToHaveTextAsync("suraksha-circular.txt");
        await Expect(page.Locator($"li[data-deadline='{fixture.CircularDeadline.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}']")).ToBeVisibleAsync();
        await Expect(page.Locator("#extracted-text")).ToContainTextAsync("സർക്കുലറിൽ");
        // The language by its name, as a reader knows it, not its code.
        await Expect(page.Locator("#key-fields")).ToContainTextAsync("മലയാളം");
        await Expect(page.Locator("#provenance")).ToContainTextAsync("upload");
        // The processing timeline in the pipeline's stages, in Malayalam, not the workflow engine's event types.
        await Expect(page.Locator("#timeline li[data-stage='catalog'][data-state='done']")).ToContainTextAsync("രേഖാപട്ടികയിൽ ചേർക്കൽ");
        await Expect(page.Locator("#timeline li[data-stage='processed']")).ToContainTextAsync("തയ്യാറായി");
        await Expect(page.Locator("#timeline")).Not.ToContainTextAsync("Task");
        await fixture.ScreenshotAsync(page, "document");
        // A reader sees deadlines; acknowledging them is for the department's admins, on the page and through the API.
        var deadline = fixture.CircularDeadline.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        Assert.Equal(403, (await page.APIRequest.PostAsync($"/documents/{fixture.CircularId}/deadlines/{deadline}/acknowledgement")).Status);

        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("#download-original").ClickAsync());
        var saved = Path.Combine(fixture.ArtifactsDirectory, "downloaded-" + download.SuggestedFilename);
        await download.SaveAsAsync(saved);
        Assert.Equal("suraksha-circular.txt", download.SuggestedFilename);
        Assert.Contains("സുരക്ഷാ സർക്കുലർ", await File.ReadAllTextAsync(saved, Encoding.UTF8));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task OR_finds_either_document_and_a_minus_before_a_malayalam_word_leaves_out_the_one_that_has_it()
    {
        var page = await fixture.SignInAsync("Asha", ["administrator"], "");
        await page.GotoAsync("/ui/search?q=" + Uri.EscapeDataString("സർക്കുലർ OR invoice"));
        await Expect(page.Locator($"li[data-document='{fixture.CircularId}']")).ToBeVisibleAsync();
        await Expect(page.Locator($"li[data-document='{fixture.InvoiceId}']")).ToBeVisibleAsync();
        await Expect(page.Locator("#search-hint")).ToContainTextAsync("OR (in capitals)");

        // The circular says ആലുവ സ്റ്റേഷനിൽ; the invoice does not.
        await page.GetByLabel("Words to find").FillAsync("സർക്കുലർ OR invoice -ആലുവ");
        await page.Locator("#search-button").ClickAsync();
        await Expect(page.Locator($"li[data-document='{fixture.InvoiceId}']")).ToBeVisibleAsync();
        await Expect(page.Locator($"li[data-document='{fixture.CircularId}']")).ToHaveCountAsync(0);
        await fixture.ScreenshotAsync(page, "search-or-exclusion");

        // A query the parser refuses says why, on the page.
        await page.GetByLabel("Words to find").FillAsync("സർക്കുലർ OR");
        await page.Locator("#search-button").ClickAsync();
        await Expect(page.Locator(".notice.error")).ToContainTextAsync("'OR' goes between two words");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_scanned_document_offers_its_searchable_pdfa_copy_for_download()
    {
        var page = await fixture.SignInAsync("Anil", ["administrator"], "");
        await page.GotoAsync($"/ui/documents/{fixture.ScanId}");

        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("#download-archive").ClickAsync());
        var saved = Path.Combine(fixture.ArtifactsDirectory, "downloaded-" + download.SuggestedFilename);
        await download.SaveAsAsync(saved);

        Assert.Equal("platform-scan.pdfa.pdf", download.SuggestedFilename);
        Assert.Equal("%PDF", Encoding.ASCII.GetString((await File.ReadAllBytesAsync(saved)).AsSpan(0, 4)));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_department_admin_sees_the_deadline_first_in_the_inbox_and_acknowledging_it_records_who_and_when()
    {
        var before = DateTimeOffset.UtcNow;
        var page = await fixture.SignInAsync("Ravi", ["department-admin"], "safety");
        await page.GotoAsync("/ui/inbox?department=safety");
        var first = page.Locator("#inbox > li").First;
        await Expect(first).ToHaveAttributeAsync("data-document", fixture.CircularId);
        await Expect(first.Locator(".badge.due")).ToBeVisibleAsync();
        await fixture.ScreenshotAsync(page, "inbox");

        var deadline = fixture.CircularDeadline.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        await first.Locator($"[data-deadline='{deadline}'] button").ClickAsync();
        await Expect(page.Locator($"#inbox > li[data-document='{fixture.CircularId}'] [data-deadline='{deadline}']")).ToContainTextAsync("Acknowledged by Ravi");
        await fixture.ScreenshotAsync(page, "inbox-acknowledged");

        var recorded = await fixture.Machine.GetFromJsonAsync<JsonObject>($"/documents/{fixture.CircularId}/deadlines");
        var acknowledgement = recorded!["deadlines"]!.AsArray().Single(d => d!["date"]!.GetValue<string>() == deadline)!["acknowledged"]!;
        Assert.Equal("Ravi", acknowledgement["by"]!.GetValue<string>());
        Assert.InRange(acknowledgement["at"]!.GetValue<DateTimeOffset>(), before.AddSeconds(-1), DateTimeOffset.UtcNow.AddSeconds(1));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Two_files_dropped_together_on_the_upload_page_show_progress_and_are_followed_until_they_are_processed()
    {
        var page = await fixture.SignInAsync("Ravi", ["department-admin"], "safety");
        await page.GotoAsync("/ui/upload");
        // Both files dropped at once on the drop zone, as a browser delivers a drag from the file manager.
        var files = await page.EvaluateHandleAsync("""
            ([first, second]) => {
                const transfer = new DataTransfer();
                transfer.items.add(new File([first], "ppe-notice.txt", { type: "text/plain" }));
                transfer.items.add(new File([second], "escalator-note.txt", { type: "text/plain" }));
                return transfer;
            }
            """, new[] { "Safety circular: all staff wear PPE at Muttom depot. " + Guid.NewGuid(), "Escalator inspection note for Kaloor station. " + Guid.NewGuid() });
        await page.Locator("#drop").DispatchEventAsync("dragover", new { dataTransfer = files });
        await Expect(page.Locator("#drop")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("over"));
        await page.Locator("#drop").DispatchEventAsync("drop", new { dataTransfer = files });

        foreach (var name in new[] { "ppe-notice.txt", "escalator-note.txt" })
        {
            var row = page.Locator($"li[data-file='{name}']");
            await Expect(row.Locator(".status")).ToHaveAttributeAsync("data-status", "processed", new() { Timeout = 120_000 });
            // The bar went from the upload's progress to full once the document was final.
            Assert.Equal(100, await row.Locator("progress").EvaluateAsync<int>("bar => bar.value"));
        }
        await fixture.ScreenshotAsync(page, "upload");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Operations_sees_each_connectors_status_and_replays_a_dead_letter_which_leaves_the_list()
    {
        var page = await fixture.SignInAsync("Suresh", ["operations"], "");
        await page.GotoAsync("/ui/operations");
        var letter = page.Locator($"li[data-dead-letter='{fixture.DeadLetterId}']");
        await Expect(letter).ToBeVisibleAsync();
        await Expect(page.Locator("#backlog")).ToBeVisibleAsync();
        // The connector's own status route, read through service invocation with document-api's operator key.
        var email = page.Locator("#connectors tr", new() { HasText = StaffPagesFixture.FailingSource });
        await Expect(email).ToContainTextAsync("Degraded");
        await Expect(email).ToContainTextAsync("IMAP login refused (2)");
        // The documents the connector gave up on are its recent failures too.
        await email.Locator("details[data-skipped='1'] summary").ClickAsync();
        await Expect(email.Locator("details[data-skipped='1']")).ToContainTextAsync("budget-2027.xlsx: blob store unavailable");
        await Expect(page.Locator("#connectors tr", new() { HasText = "whatsapp-connector" })).ToContainTextAsync("Not reachable");
        await fixture.ScreenshotAsync(page, "operations");

        await letter.Locator("button").ClickAsync();
        await Expect(page.Locator("#operations-message")).ToBeVisibleAsync();
        await Expect(letter).ToHaveCountAsync(0);
        await fixture.ScreenshotAsync(page, "operations-replayed");

        var deadLetters = await fixture.Machine.GetFromJsonAsync<JsonArray>("/dead-letters");
        Assert.DoesNotContain(deadLetters!, d => d!["id"]!.GetValue<string>() == fixture.DeadLetterId);
        var replayed = (await page.Locator("#operations-message").InnerTextAsync()).Split(' ', StringSplitOptions.RemoveEmptyEntries).Last();
        await fixture.WaitForAsync(replayed, "processed");

        // The replayed mail's arrival in plain words: who sent it, from the e-mail connector's metadata.
        await page.GotoAsync($"/ui/documents/{replayed}");
        var arrival = page.Locator("#provenance li").First;
        await Expect(arrival).ToContainTextAsync("email");
        await Expect(arrival.Locator("dl.arrival")).ToContainTextAsync("Sender");
        await Expect(arrival.Locator("dl.arrival")).ToContainTextAsync("station.kaloor@kmrl.example");
        // Every stage in order, each done, then the end: plain names, no event types (TaskScheduled, OrchestratorStarted).
        var stages = page.Locator("#timeline li[data-stage]");
        await Expect(stages).ToHaveCountAsync(8);
        Assert.Equal(["validate", "dedupe", "extract", "language", "classify", "summarise", "catalog", "processed"],
            await stages.EvaluateAllAsync<string[]>("items => items.map(i => i.dataset.stage)"));
        await Expect(page.Locator("#timeline li[data-stage='validate'][data-state='done']")).ToContainTextAsync("Checking the file");
        await Expect(page.Locator("#timeline li[data-stage='extract'][data-state='done']")).ToContainTextAsync("Reading the text");
        await Expect(page.Locator("#timeline li[data-stage='processed']")).ToContainTextAsync("Ready");
        await Expect(page.Locator("#timeline")).Not.ToContainTextAsync("Task");
        await Expect(page.Locator("#timeline")).Not.ToContainTextAsync("Orchestrator");
        await fixture.ScreenshotAsync(page, "document-replayed-mail");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Operations_sees_each_sources_lag_since_its_last_successful_run_and_its_last_document_in_either_language()
    {
        var page = await fixture.SignInAsync("Suresh", ["operations"], "");
        await page.GotoAsync("/ui/operations");

        // From email-connector's /connector/status through service invocation: 2 h without a completed run is behind.
        var failing = page.Locator($"#connector-lag li[data-source='{StaffPagesFixture.FailingSource}']");
        await Expect(failing.Locator("[data-lag='success']")).ToContainTextAsync("2 h 0 min");
        await Expect(failing.Locator("[data-lag='success'] .badge.due")).ToHaveTextAsync("Behind");
        await Expect(failing.Locator("[data-lag='document']")).ToContainTextAsync("3 days 5 h");
        var healthy = page.Locator($"#connector-lag li[data-source='{StaffPagesFixture.HealthySource}']");
        await Expect(healthy.Locator("[data-lag='success']")).ToContainTextAsync("3 min");
        await Expect(healthy.Locator("[data-lag='success'] .badge")).ToHaveCountAsync(0);
        await Expect(healthy.Locator("[data-lag='document']")).ToContainTextAsync("20 min");
        var seconds = long.Parse(await failing.Locator("[data-lag='success']").GetAttributeAsync("data-seconds") ?? "", CultureInfo.InvariantCulture);
        Assert.InRange(seconds, 2 * 3600, 2 * 3600 + 300);

        await page.Locator("#language-switch").ClickAsync();
        await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "ml");
        await Expect(failing.Locator("[data-lag='document']")).ToContainTextAsync("3 ദിവസം 5 മണിക്കൂർ");
        await Expect(failing.Locator("[data-lag='success'] .badge.due")).ToHaveTextAsync("പിന്നിലാണ്");
        await fixture.ScreenshotAsync(page, "operations-lag-ml");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_finance_reader_finds_nothing_of_safety_not_through_results_counts_facets_or_the_document_page()
    {
        var page = await fixture.SignInAsync("Meera", ["reader"], "finance");
        await page.GotoAsync("/ui/search?q=" + Uri.EscapeDataString("സർക്കുലർ"));
        await Expect(page.Locator("#result-count")).ToHaveTextAsync("0");
        await page.GotoAsync("/ui/search");
        await Expect(page.Locator($"li[data-document='{fixture.InvoiceId}']")).ToBeVisibleAsync();
        await Expect(page.Locator($"li[data-document='{fixture.CircularId}']")).ToHaveCountAsync(0);
        await Expect(page.Locator("fieldset[data-facet='department']")).Not.ToContainTextAsync("safety");
        await fixture.ScreenshotAsync(page, "search-finance-reader");

        var documentPage = await page.GotoAsync($"/ui/documents/{fixture.CircularId}");
        Assert.Equal(404, documentPage!.Status);
        var original = await page.APIRequest.GetAsync($"/ui/documents/{fixture.CircularId}?handler=Original");
        Assert.Equal(404, original.Status);

        // The same person through the API: scoped search, and no way into /documents, which is for machines.
        var search = await page.APIRequest.GetAsync("/search?facets=department&pageSize=100");
        var body = JsonNode.Parse(await search.TextAsync())!;
        Assert.All(body["hits"]!.AsArray(), h => Assert.Contains("finance", h!["departments"]!.AsArray().Select(d => d!.GetValue<string>())));
        Assert.DoesNotContain(body["facets"]!["department"]!.AsArray(), f => f!["value"]!.GetValue<string>() == "safety");
        Assert.Equal(403, (await page.APIRequest.GetAsync($"/documents/{fixture.CircularId}")).Status);
        Assert.Equal(404, (await page.APIRequest.GetAsync("/inbox/safety")).Status);
        await page.Context.CloseAsync();
    }
}
