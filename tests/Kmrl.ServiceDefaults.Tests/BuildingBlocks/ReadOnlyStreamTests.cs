using System.Net;
using Kmrl.BuildingBlocks.Streams;

namespace Kmrl.ServiceDefaults.Tests.BuildingBlocks;

/// <summary>Kmrl.BuildingBlocks' stream base: a subclass writes one ReadAsync and gets a complete, read-only Stream.</summary>
public sealed class ReadOnlyStreamTests
{
    [Fact]
    public async Task A_subclass_with_only_ReadAsync_copies_out_whole_through_every_async_overload()
    {
        var bytes = Enumerable.Range(0, 10_000).Select(i => (byte)i).ToArray();
        await using var stream = new Chunks(bytes, chunk: 333);
        using var copy = new MemoryStream();

        await stream.CopyToAsync(copy);
        var afterEnd = await stream.ReadAsync(new byte[8], 0, 8);

        Assert.Equal(bytes, copy.ToArray());
        Assert.Equal(0, afterEnd);
    }

    [Fact]
    public void It_refuses_blocking_reads_writes_and_seeks_unless_the_subclass_allows_a_blocking_read()
    {
        using var stream = new Chunks([1, 2, 3], chunk: 2);

        Assert.True(stream.CanRead);
        Assert.False(stream.CanWrite);
        Assert.False(stream.CanSeek);
        Assert.Throws<NotSupportedException>(() => stream.Read(new byte[4], 0, 4));
        Assert.Throws<NotSupportedException>(() => stream.ReadByte());
        Assert.Throws<NotSupportedException>(() => stream.Write([1], 0, 1));
        Assert.Throws<NotSupportedException>(() => stream.Seek(0, SeekOrigin.Begin));
        Assert.Throws<NotSupportedException>(() => stream.SetLength(1));
        Assert.Throws<NotSupportedException>(() => stream.Length);
        stream.Flush();
    }

    [Fact]
    public async Task A_response_content_stream_reads_the_content_and_disposes_the_response_with_it()
    {
        var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent([7, 8, 9]) };
        var content = await response.Content.ReadAsStreamAsync();
        var stream = new ResponseContentStream(content, response);

        var first = new byte[2];
        var read = stream.Read(first, 0, 2);
        await stream.DisposeAsync();

        Assert.Equal(2, read);
        Assert.Equal(new byte[] { 7, 8 }, first);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => response.Content.ReadAsByteArrayAsync());
    }

    private sealed class Chunks(byte[] bytes, int chunk) : ReadOnlyStream
    {
        private int _at;

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var count = Math.Min(Math.Min(chunk, buffer.Length), bytes.Length - _at);
            bytes.AsMemory(_at, count).CopyTo(buffer);
            _at += count;
            return ValueTask.FromResult(count);
        }
    }
}
