using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace Kmrl.Connectors.Tests.Fakes;

/// <summary>One item of a <see cref="TestSource"/>.</summary>
internal sealed record TestItem(string SourceId, string FileName, Func<Stream> Content, string? ContentType = null, long? Size = null)
{
    public bool IsTombstone { get; init; }

    /// <summary>Called with the attempt number (1-based) on every open; throw to make the open fail.</summary>
    public Action<int>? OnOpen { get; init; }

    public static TestItem Text(string sourceId, string text, string fileName = "") =>
        new(sourceId, string.IsNullOrEmpty(fileName) ? sourceId + ".txt" : fileName, () => new MemoryStream(Encoding.UTF8.GetBytes(text)), "text/plain");

    public static TestItem Removed(string sourceId) => new(sourceId, "", () => Stream.Null) { IsTombstone = true };
}

/// <summary>
/// An in-memory source: the checkpoint is the index of the next item, and a marker follows every
/// <c>checkpointEvery</c> items (and the last one).
/// </summary>
internal sealed class TestSource(string name, IReadOnlyList<TestItem> items, int checkpointEvery = 1) : IDocumentSource
{
    private int _readCalls;

    public string Name => name;

    public int ReadCalls => _readCalls;

    public List<string?> CheckpointsReadFrom { get; } = [];

    public ConcurrentDictionary<string, int> Opens { get; } = new(StringComparer.Ordinal);

    /// <summary>Called with the read call number (1-based) before listing; throw to make the listing fail.</summary>
    public Action<int>? OnRead { get; set; }

    /// <summary>Awaited before an item is yielded (index); lets a test hold a run in the middle.</summary>
    public Func<int, CancellationToken, Task>? BeforeItem { get; set; }

    public List<string> CommittedAfter { get; } = [];

    public static TestSource WithTextItems(string name, int count, int checkpointEvery = 1) =>
        new(name, [.. Enumerable.Range(1, count).Select(i => TestItem.Text($"item-{i:D4}", $"content of item {i}"))], checkpointEvery);

    public async IAsyncEnumerable<SourceChange> ReadChangesAsync(string? checkpoint, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var call = Interlocked.Increment(ref _readCalls);
        lock (CheckpointsReadFrom)
        {
            CheckpointsReadFrom.Add(checkpoint);
        }
        OnRead?.Invoke(call);
        var start = checkpoint is null ? 0 : int.Parse(checkpoint, CultureInfo.InvariantCulture);
        for (var index = start; index < items.Count; index++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (BeforeItem is { } before)
            {
                await before(index, cancellationToken);
            }
            var item = items[index];
            if (item.IsTombstone)
            {
                yield return new SourceTombstone(item.SourceId, "deleted", new Dictionary<string, string> { ["index"] = index.ToString(CultureInfo.InvariantCulture) });
            }
            else
            {
                yield return new SourceDocument(item.SourceId, item.FileName, item.ContentType, item.Size,
                    new Dictionary<string, string> { ["index"] = index.ToString(CultureInfo.InvariantCulture) },
                    _ =>
                    {
                        var attempt = Opens.AddOrUpdate(item.SourceId, 1, (_, n) => n + 1);
                        item.OnOpen?.Invoke(attempt);
                        return Task.FromResult(item.Content());
                    });
            }
            if ((index + 1) % checkpointEvery == 0 || index == items.Count - 1)
            {
                var value = (index + 1).ToString(CultureInfo.InvariantCulture);
                yield return new SourceCheckpoint(value, _ =>
                {
                    lock (CommittedAfter)
                    {
                        CommittedAfter.Add(value);
                    }
                    return Task.CompletedTask;
                });
            }
        }
    }
}

/// <summary>
/// A deterministic stream of any length that holds only its position and one small pattern block (a prime length,
/// so chunk boundaries never line up with it and chunks differ).
/// </summary>
internal sealed class GeneratedStream(long length) : Stream
{
    private static readonly byte[] Pattern = CreatePattern(65_521);
    private long _position;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => length;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var count = (int)Math.Min(buffer.Length, length - _position);
        var written = 0;
        while (written < count)
        {
            var offset = (int)((_position + written) % Pattern.Length);
            var run = Math.Min(count - written, Pattern.Length - offset);
            Pattern.AsSpan(offset, run).CopyTo(buffer[written..]);
            written += run;
        }
        _position += count;
        return count;
    }

    private static byte[] CreatePattern(int size)
    {
        var pattern = new byte[size];
        new Random(7).NextBytes(pattern);
        return pattern;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
