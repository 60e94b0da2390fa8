using System.Security.Cryptography;

namespace Kmrl.Connectors.WhatsApp.Tests.Fakes;

public sealed record ReadDocument(SourceDocument Document, byte[] Content);

public sealed record SourceRun(IReadOnlyList<ReadDocument> Documents, IReadOnlyList<Exception> Failures, int CommittedCheckpoints);

/// <summary>
/// Plays the connector host's part of the contract: read every document's content, and store a checkpoint
/// (running its AfterCommit) only when everything before it was handed on; the first failure ends the run.
/// </summary>
public static class HostEmulation
{
    public static async Task<SourceRun> RunAsync(IDocumentSource source, string? checkpoint = null)
    {
        var documents = new List<ReadDocument>();
        var failures = new List<Exception>();
        var committed = 0;
        await foreach (var change in source.ReadChangesAsync(checkpoint, CancellationToken.None))
        {
            switch (change)
            {
                case SourceDocument document:
                    try
                    {
                        await using var stream = await document.OpenContentAsync(CancellationToken.None);
                        using var buffer = new MemoryStream();
                        await stream.CopyToAsync(buffer);
                        documents.Add(new ReadDocument(document, buffer.ToArray()));
                    }
                    catch (Exception exception)
                    {
                        failures.Add(exception);
                        return new SourceRun(documents, failures, committed);
                    }
                    break;
                case SourceCheckpoint marker:
                    if (marker.AfterCommitAsync is not null)
                    {
                        await marker.AfterCommitAsync(CancellationToken.None);
                    }
                    committed++;
                    break;
            }
        }
        return new SourceRun(documents, failures, committed);
    }

    public static string Sha256Of(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));
}
