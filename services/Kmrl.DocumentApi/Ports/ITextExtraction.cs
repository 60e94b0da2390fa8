using Kmrl.DocumentApi.Model;
using Kmrl.DocumentApi.Processing;

namespace Kmrl.DocumentApi.Ports;

/// <summary>
/// Text of one local file of a sniffed kind: <see cref="TextExtractor"/> in this process, or the same extractor in a
/// worker process with memory and CPU limits (<see cref="Processing.Isolation.IsolatedTextExtraction"/>). A file that
/// cannot be read is a <see cref="DocumentUnreadableException"/> either way.
/// </summary>
public interface ITextExtraction
{
    Task<ExtractedText> ExtractAsync(string path, DocumentKind kind, CancellationToken cancellationToken);
}
