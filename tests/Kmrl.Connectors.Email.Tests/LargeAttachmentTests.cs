using System.Diagnostics;
using System.IO.Pipelines;
using System.Security.Cryptography;
using Kmrl.Connectors.Email.Tests.Support;
using Kmrl.Testing.Servers;
using MimeKit;
using Xunit.Abstractions;

namespace Kmrl.Connectors.Email.Tests;

public sealed class LargeAttachmentTests(DovecotImapServer dovecot, ITestOutputHelper output) : IClassFixture<DovecotImapServer>
{
    private const long AttachmentSize = 200L * 1024 * 1024;

    [Fact]
    public async Task A_200_MiB_attachment_is_streamed_with_bounded_memory()
    {
        await using var context = new ImapTestContext(dovecot, "bob");
        context.Options.FetchChunkSize = 1024 * 1024;
        const string folder = "Large";

        // Generate the message straight into doveadm: neither side ever holds it.
        var message = Corpus.Base("Drawings archive");
        message.Body = new Multipart("mixed")
        {
            new TextPart("plain") { Text = "Archive attached." },
            new MimePart("application", "zip")
            {
                Content = new MimeContent(new GeneratedStream(AttachmentSize)),
                ContentDisposition = new ContentDisposition(ContentDisposition.Attachment) { FileName = "drawings.zip" },
                ContentTransferEncoding = ContentEncoding.Base64,
            },
        };
        var pipe = new Pipe();
        var writer = Task.Run(async () =>
        {
            await using var stream = pipe.Writer.AsStream();
            await message.WriteToAsync(stream);
        });
        await using (var reader = pipe.Reader.AsStream())
        {
            await dovecot.DeliverAsync(context.User, reader, folder);
        }
        await writer;
        var expected = await SourceContract.HashAsync(new GeneratedStream(AttachmentSize));

        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        using var process = Process.GetCurrentProcess();
        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        process.Refresh();
        var workingSetBefore = process.WorkingSet64;
        long heapPeak = heapBefore;
        long livePeak = heapBefore;
        long workingSetPeak = workingSetBefore;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                // Heap size includes garbage the GC has not collected yet; the live figure (after a full
                // collection) is what the reader actually holds, and it is what would grow if it buffered.
                heapPeak = Math.Max(heapPeak, GC.GetTotalMemory(forceFullCollection: false));
                process.Refresh();
                workingSetPeak = Math.Max(workingSetPeak, process.WorkingSet64);
                livePeak = Math.Max(livePeak, GC.GetTotalMemory(forceFullCollection: true));
                await Task.Delay(100);
            }
        });
        var clock = Stopwatch.StartNew();

        var result = await SourceContract.RunAsync(context.Source(folder), null, EmailHost.Options(keepContent: false));

        clock.Stop();
        await sampling.CancelAsync();
        await sampler;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        var document = Assert.Single(result.Documents);
        var fetches = context.Clients.AllClientLines.Count(line => line.Contains("BODY.PEEK[2]<", StringComparison.Ordinal));
        output.WriteLine($"decoded {document.Length:N0} bytes in {clock.Elapsed.TotalSeconds:F1} s with {fetches} partial fetches of 1 MiB; " +
            $"live managed memory peak +{(livePeak - heapBefore) / 1048576.0:F1} MiB (sampled every 100 ms after a full GC), " +
            $"managed heap incl. uncollected garbage peak +{(heapPeak - heapBefore) / 1048576.0:F1} MiB, working set peak +{(workingSetPeak - workingSetBefore) / 1048576.0:F1} MiB, " +
            $"allocated in total {allocated / 1048576.0:F0} MiB (garbage, reclaimed as it goes)");

        Assert.Equal(AttachmentSize, document.Length);
        Assert.Equal(expected.Sha256, document.Sha256);
        Assert.True(fetches > 200, "the part must be read in partial fetches, not in one");
        Assert.DoesNotContain(context.Clients.AllClientLines, line => line.Contains("BODY.PEEK[]", StringComparison.Ordinal));
        // 200 MiB decoded (about 270 MiB on the wire) must never be held: live memory stays within a few chunks.
        Assert.True(livePeak - heapBefore < 32L * 1024 * 1024, $"live managed memory grew by {(livePeak - heapBefore) / 1048576.0:F1} MiB");
    }

    /// <summary>
    /// A deterministic pseudo-random byte stream of a given length (the same bytes every time). Seekable because
    /// MimeContent insists; seeking regenerates, nothing is stored.
    /// </summary>
    private sealed class GeneratedStream(long length) : Stream
    {
        private const ulong Seed = 0x9E3779B97F4A7C15;
        private long _position;
        private ulong _state = Seed;

        public override bool CanRead => true;

        public override bool CanSeek => true;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position
        {
            get => _position;
            set => Seek(value, SeekOrigin.Begin);
        }

        public override long Seek(long offset, SeekOrigin origin)
        {
            var target = origin switch
            {
                SeekOrigin.Begin => offset,
                SeekOrigin.Current => _position + offset,
                _ => length + offset,
            };
            if (target < _position)
            {
                _position = 0;
                _state = Seed;
            }
            var scratch = new byte[8192];
            while (_position < target)
            {
                if (Read(scratch, 0, (int)Math.Min(scratch.Length, target - _position)) == 0)
                {
                    break;
                }
            }
            return _position;
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, length - _position);
            for (var i = 0; i < n; i++)
            {
                // xorshift64*: cheap and incompressible enough to make the base64 realistic.
                _state ^= _state >> 12;
                _state ^= _state << 25;
                _state ^= _state >> 27;
                buffer[offset + i] = (byte)((_state * 0x2545F4914F6CDD1DUL) >> 56);
            }
            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
