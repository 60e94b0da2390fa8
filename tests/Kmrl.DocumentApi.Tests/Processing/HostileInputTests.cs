using System.Diagnostics;
using Kmrl.DocumentApi.Activities;
using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Ports;
using Kmrl.DocumentApi.Processing;
using Kmrl.DocumentApi.Tests.Activities;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Kmrl.DocumentApi.Tests.Processing;

/// <summary>
/// Issue 18's hostile inputs at the level of the parsers: deep OOXML is refused before any recursive parser sees
/// it, and the key-field and HTML-to-text passes take linear time. Slow cases run on the thread pool with a bound,
/// so that on a build without the fix they fail after the bound instead of holding the run for minutes.
/// </summary>
public sealed class HostileInputTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private readonly (Kmrl.ClaimCheck.IDocumentContentStore Store, InMemoryBlobStorage Storage) _blobs = InMemoryBlobStorage.NewStore();

    public static TheoryData<string, string, string> DeepPackages() => new()
    {
        { "docx", "nested.docx", TestCorpus.DocxType },
        { "xlsx", "nested.xlsx", TestCorpus.XlsxType },
        { "pptx", "nested.pptx", TestCorpus.PptxType },
    };

    private static byte[] Deep(string kind, int depth) => kind switch
    {
        "docx" => TestCorpus.DeeplyNestedDocx(depth),
        "xlsx" => TestCorpus.DeeplyNestedXlsx(depth),
        _ => TestCorpus.DeeplyNestedPptx(depth),
    };

    private async Task<ValidationResult> ValidateAsync(byte[] bytes, string fileName, string contentType)
    {
        var intake = await Intakes.StoreAsync(_blobs.Store, bytes, fileName, contentType);
        var activity = new ValidateDocumentActivity(_blobs.Store, new ContentSniffer(new DocumentProcessingOptions()),
            new PdfTextReader(new ScriptedOcrEngine("unused"), ExtractTextActivityTests.RealPdfTools(), new DocumentProcessingOptions()));
        return await activity.RunAsync(new TestActivityContext(), intake);
    }

    [Theory]
    [MemberData(nameof(DeepPackages))]
    public async Task An_office_file_nested_200000_deep_is_refused_at_validation_as_too_deeply_nested(string kind, string fileName, string contentType)
    {
        var bytes = Deep(kind, 200_000);

        var result = await ValidateAsync(bytes, fileName, contentType);

        Assert.False(result.Accepted);
        Assert.Equal(RejectionReasons.TooDeeplyNested, result.Reason);
        Assert.True(bytes.Length < 1024 * 1024, $"the hostile file is small ({bytes.Length} bytes)");
    }

    [Theory]
    [MemberData(nameof(DeepPackages))]
    public async Task An_office_file_nested_as_deep_as_real_documents_go_is_accepted(string kind, string fileName, string contentType)
    {
        var result = await ValidateAsync(Deep(kind, 40), fileName, contentType);

        Assert.True(result.Accepted, result.Detail);
    }

    [Theory]
    [MemberData(nameof(DeepPackages))]
    public async Task The_extractor_refuses_a_part_over_the_depth_cap_even_when_validation_was_skipped(string kind, string fileName, string contentType)
    {
        // 1,000 levels: over the cap, yet shallow enough that the SDK would not overflow without the guard.
        var intake = await Intakes.StoreAsync(_blobs.Store, Deep(kind, 1_000), fileName, contentType);
        var documentKind = kind switch { "docx" => DocumentKind.Docx, "xlsx" => DocumentKind.Xlsx, _ => DocumentKind.Pptx };
        var activity = new ExtractTextActivity(_blobs.Store, ExtractTextActivityTests.Extractor(new ScriptedOcrEngine("unused"), new DocumentProcessingOptions()), ExtractTextActivityTests.CpuSlots, TimeProvider.System, Options.Create(new DocumentProcessingOptions()));

        var result = await activity.RunAsync(new TestActivityContext(intake.DocumentId), new ExtractInput(intake, documentKind));

        Assert.Equal(ExtractionOutcome.Rejected, result.Outcome);
        Assert.Equal(RejectionReasons.TooDeeplyNested, result.RejectionReason);
    }

    public static TheoryData<string, string> BacktrackingTexts() => new()
    {
        { "po-then-2000-spaces", "PO" + new string(' ', 2_000) },
        { "wo-then-2000-spaces", "WO" + new string(' ', 2_000) },
        { "purchase-order-then-tabs", "purchase order" + new string('\t', 2_000) + "x" },
        { "3-kb-work-order-then-spaces", "Work order" + new string(' ', 3_000) },
        { "date-separators-run", string.Concat(Enumerable.Repeat("1/1/20", 5_000)) + new string('/', 20_000) },
    };

    [Theory]
    [MemberData(nameof(BacktrackingTexts))]
    public async Task Key_field_extraction_of_hostile_text_finishes_in_linear_time(string name, string text)
    {
        var watch = Stopwatch.StartNew();

        var fields = await Task.Run(() => KeyFieldExtractor.Extract(text)).WaitAsync(Bound);

        Assert.True(watch.Elapsed < Bound, name);
        Assert.Empty(fields.PurchaseOrders);
        Assert.Empty(fields.WorkOrders);
    }

    [Fact]
    public void Numeric_dates_inside_longer_runs_of_digits_and_separators_are_not_dates()
    {
        var fields = KeyFieldExtractor.Extract("Version 1.2.3.2024, range 5/3/2024-7, part 123/4/2026, but due on 12/03/2026.");

        Assert.Equal([new DateOnly(2026, 3, 12)], fields.Dates);
        Assert.Equal([new DateOnly(2026, 3, 12)], fields.Deadlines);
    }

    [Fact]
    public async Task Html_only_mail_of_400000_characters_of_unclosed_script_tags_is_read_in_linear_time()
    {
        // The old `<(script|style)[^>]*>.*?</\1>` searched to the end for a closing tag from every opening one.
        var html = string.Concat(Enumerable.Repeat("<script>", 50_000));
        var watch = Stopwatch.StartNew();

        var text = await Task.Run(() => TextExtractor.HtmlToText(html)).WaitAsync(Bound);

        Assert.True(watch.Elapsed < Bound);
        Assert.Equal(new string(' ', 50_000), text);
    }

    [Fact]
    public async Task Html_of_400000_characters_of_unclosed_angle_brackets_is_read_in_linear_time()
    {
        var html = string.Concat(Enumerable.Repeat("<a ", 133_334));

        var text = await Task.Run(() => TextExtractor.HtmlToText(html)).WaitAsync(Bound);

        Assert.Equal(html, text);
    }

    [Fact]
    public async Task Html_only_mail_keeps_its_text_and_drops_tags_scripts_and_styles()
    {
        var eml = TestCorpus.HtmlOnlyEml("ops@kochimetro.org", "Lift outage",
            "<html><head><style>p { color: red }</style></head><body><p>Lift at <b>Aluva</b> down &amp; fixed</p>" +
            "<SCRIPT type=\"text/javascript\">alert('x')</SCRIPT>a <> b<br/>end</body></html>");
        var path = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(path, eml);
            var extracted = await ExtractTextActivityTests.Extractor(new ScriptedOcrEngine("unused"), new DocumentProcessingOptions())
                .ExtractAsync(path, DocumentKind.Email, CancellationToken.None);

            var text = extracted.Pages.Single();
            Assert.Contains("Lift at  Aluva  down & fixed", text, StringComparison.Ordinal);
            Assert.Contains("a <> b", text, StringComparison.Ordinal);
            Assert.Contains("end", text, StringComparison.Ordinal);
            Assert.DoesNotContain("alert", text, StringComparison.Ordinal);
            Assert.DoesNotContain("color", text, StringComparison.Ordinal);
            Assert.DoesNotContain("<b>", text, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>OCR that never finishes on its own (a runaway tesseract), only when cancelled.</summary>
    private sealed class EndlessOcrEngine : IOcrEngine
    {
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task<string> RecogniseImageAsync(string imagePath, CancellationToken cancellationToken)
        {
            Started.TrySetResult();
            await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
            return string.Empty;
        }

        public Task<string> RecognisePdfPageAsync(string pdfPath, int pageNumber, CancellationToken cancellationToken) =>
            RecogniseImageAsync(pdfPath, cancellationToken);
    }

    [Fact]
    public async Task An_extraction_that_runs_past_its_time_budget_fails_as_time_budget_exceeded_instead_of_holding_the_worker()
    {
        var options = new DocumentProcessingOptions { ExtractTimeBudget = TimeSpan.FromMinutes(5) };
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var ocr = new EndlessOcrEngine();
        var intake = await Intakes.StoreAsync(_blobs.Store, [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3], "scan.png", "image/png");
        var activity = new ExtractTextActivity(_blobs.Store, ExtractTextActivityTests.Extractor(ocr, options), ExtractTextActivityTests.CpuSlots, time, Options.Create(options));

        var run = activity.RunAsync(new TestActivityContext(intake.DocumentId), new ExtractInput(intake, DocumentKind.Png));
        await ocr.Started.Task.WaitAsync(Bound);
        time.Advance(TimeSpan.FromMinutes(5));

        var error = await Assert.ThrowsAsync<TimeoutException>(() => run.WaitAsync(Bound));
        Assert.StartsWith(RejectionReasons.TimeBudgetExceeded + ":", error.Message, StringComparison.Ordinal);
    }
}
