using Kmrl.DocumentApi.Ports;

namespace Kmrl.DocumentApi.Tests.Fakes;

/// <summary>OCR that answers with set text and records what it was asked, for tests of when OCR is used.</summary>
public sealed class ScriptedOcrEngine(string text) : IOcrEngine
{
    public List<string> Calls { get; } = [];

    public Task<string> RecogniseImageAsync(string imagePath, CancellationToken cancellationToken)
    {
        Calls.Add("image");
        return Task.FromResult(text);
    }

    public Task<string> RecognisePdfPageAsync(string pdfPath, int pageNumber, CancellationToken cancellationToken)
    {
        Calls.Add("pdf-page-" + pageNumber);
        return Task.FromResult(text);
    }
}
