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
        var context = new ImapTestContext(dovecot, "bob");
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
        var expected = await SyncDriver.HashAsync(new GeneratedStream(AttachmentSize));

        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        using var process = Process.GetCurrentProcess();
        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        process.Refresh();
        var workingSetBefore = process.WorkingSet64;
        long heapPeak = heapBefore;
        long workingSetPeak = workingSetBefore;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                heapPeak = Math.Max(heapPeak, GC.GetTotalMemory(false));
                process.Refresh();
                workingSetPeak = Math.Max(workingSetPeak, process.WorkingSet64);
                await Task.Delay(20);
            }
        });
        var clock = Stopwatch.StartNew();

        var result = await SyncDriver.RunAsync(context.Source(folder), checkpoint: null);

        clock.Stop();
        await sampling.CancelAsync();
        await sampler;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        var document = Assert.Single(result.Documents);
        var fetches = context.Clients.AllClientLines.Count(line => line.Contains("BODY.PEEK[2]<", StringComparison.Ordinal));
        output.WriteLine($"decoded {document.Length:N0} bytes in {clock.Elapsed.TotalSeconds:F1} s with {fetches} partial fetches of 1 MiB; " +
            $"managed heap peak +{(heapPeak - heapBefore) / 1048576.0:F1} MiB, working set peak +{(workingSetPeak - workingSetBefore) / 1048576.0:F1} MiB, " +
            $"allocated in total {allocated / 1048576.0:F0} MiB (garbage, reclaimed as it goes)");

        Assert.Equal(AttachmentSize, document.Length);
        Assert.Equal(expected.Sha256, document.Sha256);
        Assert.True(fetches > 200, "the part must be read in partial fetches, not in one");
        Assert.DoesNotContain(context.Clients.AllClientLines, line => line.Contains("BODY.PEEK[]", StringComparison.Ordinal));
        // 200 MiB decoded (about 270 MiB on the wire) must never be resident: allow a generous 64 MiB of heap growth.
        Assert.True(heapPeak - heapBefore < 64L * 1024 * 1024, $"managed heap grew by {(heapPeak - heapBefore) / 1048576.0:F1} MiB");
    }

    /// <summary>A deterministic pseudo-random byte stream of a given length (the same bytes every time).</summary>
    private sealed class GeneratedStream(long length) : Stream
    {
        private long _position;
        private ulong _state = 0x9E3779B97F4A7C15;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
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

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
