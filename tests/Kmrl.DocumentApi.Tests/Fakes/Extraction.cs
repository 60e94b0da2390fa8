using Kmrl.ClaimCheck;
using Kmrl.DocumentApi.Activities;
using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Processing;
using Kmrl.DocumentApi.Tests.Activities;
using Microsoft.Extensions.Options;

namespace Kmrl.DocumentApi.Tests.Fakes;

/// <summary>One document through <see cref="ExtractTextActivity"/> as the workflow calls it: stored, extracted, its text read back.</summary>
internal static class Extraction
{
    public static async Task<(ExtractionResult Result, IReadOnlyList<string> Pages, string DocumentId)> RunAsync(
        IDocumentContentStore store, byte[] bytes, string fileName, string contentType, DocumentKind kind, TextExtractor extractor,
        DocumentProcessingOptions? options = null, ScanArchive? archive = null)
    {
        var intake = await Intakes.StoreAsync(store, bytes, fileName, contentType);
        var result = await new ExtractTextActivity(store, extractor, ExtractTextActivityTests.CpuSlots, TimeProvider.System,
                Options.Create(options ?? new DocumentProcessingOptions()), archive)
            .RunAsync(new TestActivityContext(intake.DocumentId), new ExtractInput(intake, kind));
        var text = await TextBlobs.ReadAsync(store, result.Text, CancellationToken.None);
        return (result, ExtractedText.SplitPages(text), intake.DocumentId);
    }
}
