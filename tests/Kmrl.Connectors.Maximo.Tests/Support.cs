using Kmrl.Connectors.Hosting;
using Kmrl.Connectors.Maximo.RemoteFolders;
using Kmrl.Contracts;

namespace Kmrl.Connectors.Maximo.Tests;

/// <summary>
/// How these tests run the host (<see cref="SourceContract"/>): with the filters the Maximo app's appsettings.json sets
/// (MIF flat files and XML, 512 MiB), plus <c>.bin</c> for the sparse streaming file.
/// </summary>
internal static class MaximoHost
{
    public static ContractOptions Options(Action<ConnectorHostOptions>? change = null, bool keepContent = true) => new()
    {
        Connector = DocumentSources.Maximo,
        KeepContent = keepContent,
        Host = host =>
        {
            host.Filters.AdditionalExtensions.AddRange([".dat", ".xml", ".bin"]);
            host.Filters.MaxSizeBytes = 512L * 1024 * 1024;
            change?.Invoke(host);
        },
    };
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
