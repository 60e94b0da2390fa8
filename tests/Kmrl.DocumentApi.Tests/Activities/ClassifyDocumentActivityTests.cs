using Kmrl.Contracts;
using Kmrl.DocumentApi.Activities;
using Kmrl.DocumentApi.Adapters;
using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Ports;
using Kmrl.DocumentApi.Processing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Kmrl.DocumentApi.Tests.Activities;

public sealed class ClassifyDocumentActivityTests
{
    private readonly (Kmrl.ClaimCheck.IDocumentContentStore Store, InMemoryBlobStorage Storage) _blobs = InMemoryBlobStorage.NewStore();

    /// <summary>The rules file that ships with the service (copied to the output), as KMRL would start with.</summary>
    internal static YamlClassificationRules ShippedRules(string? path = null) => new(
        Options.Create(new DocumentProcessingOptions { RulesPath = path ?? "Rules/document-rules.yaml" }),
        NullLogger<YamlClassificationRules>.Instance);

    private async Task<ClassificationResult> ClassifyAsync(string text, string fileName = "document.pdf", string source = DocumentSources.Upload,
        IReadOnlyDictionary<string, string>? properties = null, IClassificationRules? rules = null)
    {
        var intake = await Intakes.StoreAsync(_blobs.Store, "x"u8.ToArray(), fileName, TestCorpus.Pdf, source);
        var blob = await TextBlobs.WriteAsync(_blobs.Store, intake.DocumentId, text, CancellationToken.None);
        var activity = new ClassifyDocumentActivity(_blobs.Store, rules ?? ShippedRules());
        return await activity.RunAsync(new TestActivityContext(), new ClassifyInput(intake, blob, properties ?? new Dictionary<string, string>()));
    }

    [Fact]
    public async Task An_english_tax_invoice_goes_to_finance_with_the_rule_as_evidence()
    {
        var result = await ClassifyAsync("TAX INVOICE\nInvoice No: VEN/2026/118\nGSTIN 32ABCDE1234F1Z5\nAmount payable: Rs. 1,18,000");

        Assert.Equal("invoice", result.DocumentType);
        Assert.Contains("finance", result.Departments);
        Assert.Contains(result.Evidence, e => e.StartsWith("rule invoice:", StringComparison.Ordinal) && e.Contains("'tax invoice'"));
    }

    [Fact]
    public async Task A_malayalam_safety_circular_is_routed_by_its_malayalam_keywords()
    {
        var result = await ClassifyAsync("സുരക്ഷാ സർക്കുലർ\nഎല്ലാ ജീവനക്കാരും ആലുവ സ്റ്റേഷനിൽ ജാഗ്രത പാലിക്കണം");

        Assert.Equal("safety-circular", result.DocumentType);
        Assert.Equal(["safety", "operations"], result.Departments.Take(2));
        Assert.Contains(result.Evidence, e => e.StartsWith("rule safety-circular:", StringComparison.Ordinal) && e.Contains("'സർക്കുലർ'"));
    }

    [Fact]
    public async Task A_document_from_maximo_reaches_maintenance_by_its_source()
    {
        var result = await ClassifyAsync("Work order 88123 closed.", source: DocumentSources.Maximo);

        Assert.Contains("maintenance", result.Departments);
        Assert.Contains("rule maximo-source: source 'maximo'", result.Evidence);
    }

    [Fact]
    public async Task A_vendor_mail_reaches_procurement_by_its_sender_domain()
    {
        var result = await ClassifyAsync("Quarterly update", properties: new Dictionary<string, string> { [TextExtractor.PropertySender] = "sales@vendors.kochimetro.org" });

        Assert.Contains("procurement", result.Departments);
        Assert.Contains("rule vendor-mail: sender domain 'vendors.kochimetro.org'", result.Evidence);
    }

    [Fact]
    public async Task A_document_no_rule_matches_is_other_and_routed_nowhere()
    {
        var result = await ClassifyAsync("Lorem ipsum dolor sit amet.");

        Assert.Equal("other", result.DocumentType);
        Assert.Empty(result.Departments);
        Assert.Empty(result.Evidence);
    }

    [Fact]
    public void An_english_keyword_matches_whole_words_only()
    {
        Assert.Equal(0, RuleClassifier.CountKeyword("The annual report is attached", "po"));
        Assert.Equal(1, RuleClassifier.CountKeyword("Ref: PO 4500012 dated 1/11", "po"));
        Assert.Equal(1, RuleClassifier.CountKeyword("സർക്കുലറിൽ പറയുന്നു", "സർക്കുലർ"));
    }

    [Fact]
    public async Task An_edited_rules_file_takes_effect_without_a_restart()
    {
        var path = Path.Combine(Path.GetTempPath(), $"kmrl-rules-{Guid.NewGuid():N}.yaml");
        var original = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Rules/document-rules.yaml"));
        await File.WriteAllTextAsync(path, original);
        try
        {
            var rules = ShippedRules(path);
            Assert.Equal("other", (await ClassifyAsync("Escalator audit findings", rules: rules)).DocumentType);

            await File.WriteAllTextAsync(path, original + """

                  - id: escalator-audit
                    type: incident-report
                    departments: [engineering]
                    keywords: [escalator audit]
                """);
            File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddSeconds(5));

            var result = await ClassifyAsync("Escalator audit findings", rules: rules);
            Assert.Equal("incident-report", result.DocumentType);
            Assert.Contains("rule escalator-audit: keyword 'escalator audit'", result.Evidence);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_rules_file_naming_an_unknown_department_is_refused_with_the_reason()
    {
        var yaml = """
            departments: [finance]
            rules:
              - id: typo
                departments: [fianance]
                keywords: [invoice]
            """;

        var error = Assert.Throws<InvalidDataException>(() => ClassificationRuleSet.Parse(yaml));
        Assert.Contains("unknown department 'fianance'", error.Message);
    }
}
