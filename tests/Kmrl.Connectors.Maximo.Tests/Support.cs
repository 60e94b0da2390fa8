using System.Security.Cryptography;
using Kmrl.Connectors.Maximo.RemoteFolders;
using Kmrl.ServiceDefaults.Secrets;

namespace Kmrl.Connectors.Maximo.Tests;

/// <summary>Secrets (a name with keys) from dictionaries, standing in for the Dapr secret store.</summary>
internal sealed class DictionarySecrets(Dictionary<string, Dictionary<string, string>> secrets) : ISecretProvider
{
    public static DictionarySecrets One(string name, string key, string value) => new(new() { [name] = new() { [key] = value } });

    public Task<string> GetSecretAsync(string name, string key, CancellationToken cancellationToken) =>
        secrets.TryGetValue(name, out var values) && values.TryGetValue(key, out var value) && value.Length > 0
            ? Task.FromResult(value)
            : throw new SecretNotFoundException(name, key, "dictionary");

    public Task<IReadOnlyDictionary<string, string>> GetSecretValuesAsync(string name, CancellationToken cancellationToken) =>
        secrets.TryGetValue(name, out var values)
            ? Task.FromResult<IReadOnlyDictionary<string, string>>(values)
            : throw new SecretNotFoundException(name, key: null, "dictionary");
}

/// <summary>What one document looked like once the "host" read it.</summary>
internal sealed record ReadDocument(SourceDocument Document, long Length, string Sha256);

/// <summary>Plays the connector host: reads every document, stores checkpoints, runs after-commit actions.</summary>
internal static class SourceRunner
{
    public static async Task<(List<ReadDocument> Documents, string? Checkpoint)> RunAsync(
        IDocumentSource source, string? checkpoint, CancellationToken cancellationToken = default)
    {
        var documents = new List<ReadDocument>();
        await foreach (var change in source.ReadChangesAsync(checkpoint, cancellationToken))
        {
            switch (change)
            {
                case SourceDocument document:
                    await using (var stream = await document.OpenContentAsync(cancellationToken))
                    {
                        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                        var buffer = new byte[81920];
                        long length = 0;
                        int read;
                        while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
                        {
                            hash.AppendData(buffer, 0, read);
                            length += read;
                        }
                        documents.Add(new ReadDocument(document, length, Convert.ToHexString(hash.GetHashAndReset())));
                    }
                    break;
                case SourceCheckpoint marker:
                    checkpoint = marker.Value;
                    if (marker.AfterCommitAsync is not null)
                    {
                        await marker.AfterCommitAsync(cancellationToken);
                    }
                    break;
            }
        }
        return (documents, checkpoint);
    }

    public static string Sha256(byte[] content) => Convert.ToHexString(SHA256.HashData(content));
}

/// <summary>
/// Wraps a real connector: counts downloads and, when asked, breaks the first download after a number of bytes by
/// closing the real connection under it (what a dropped network looks like to the client).
/// </summary>
internal sealed class FaultInjectingConnector(IRemoteFolderConnector inner) : IRemoteFolderConnector
{
    private int _breaksLeft;
    private long _breakAfter;

    public List<(string Path, long Offset)> Opens { get; } = [];

    public void BreakNextDownloads(int count, long afterBytes)
    {
        _breaksLeft = count;
        _breakAfter = afterBytes;
    }

    public string Describe() => inner.Describe();

    public async Task<IRemoteFolder> ConnectAsync(CancellationToken cancellationToken) =>
        new Folder(this, await inner.ConnectAsync(cancellationToken));

    private sealed class Folder(FaultInjectingConnector owner, IRemoteFolder inner) : IRemoteFolder
    {
        public Task<IReadOnlyList<RemoteEntry>> ListAsync(string folder, CancellationToken cancellationToken) => inner.ListAsync(folder, cancellationToken);

        public async Task<Stream> OpenReadAsync(string path, long offset, CancellationToken cancellationToken)
        {
            lock (owner.Opens)
            {
                owner.Opens.Add((path, offset));
            }
            var stream = await inner.OpenReadAsync(path, offset, cancellationToken);
            if (owner._breaksLeft > 0)
            {
                owner._breaksLeft--;
                return new BreakingStream(stream, inner, owner._breakAfter);
            }
            return stream;
        }

        public Task RenameAsync(string from, string to, CancellationToken cancellationToken) => inner.RenameAsync(from, to, cancellationToken);

        public Task DeleteAsync(string path, CancellationToken cancellationToken) => inner.DeleteAsync(path, cancellationToken);

        public Task EnsureFolderAsync(string folder, CancellationToken cancellationToken) => inner.EnsureFolderAsync(folder, cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    private sealed class BreakingStream(Stream inner, IRemoteFolder session, long breakAfter) : Stream
    {
        private long _delivered;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _delivered; set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_delivered >= breakAfter)
            {
                // Close the real transfer and session, then fail like a reset connection would.
                await inner.DisposeAsync();
                await session.DisposeAsync();
                throw new IOException("Connection reset (injected).");
            }
            var read = await inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, breakAfter - _delivered)], cancellationToken);
            _delivered += read;
            return read;
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
