using System.Buffers.Binary;

namespace Kmrl.DocumentApi.Processing;

/// <summary>
/// Width and height an image declares in its header (PNG IHDR, JPEG SOFn, every TIFF IFD), read without decoding a
/// pixel, so that OCR can refuse an image whose decoded size would be gigabytes (a 150 KB PNG can declare 30,000 ×
/// 30,000). For a multi-page TIFF the largest page counts, since tesseract decodes one page at a time.
/// Null when the header cannot be read: the decoder then gets the file and fails (or not) under its own limits.
/// </summary>
public static class ImageDimensions
{
    /// <summary>A TIFF with more IFDs than this is treated as unreadable here, and a loop of IFDs ends too.</summary>
    private const int MaxTiffPages = 10_000;

    public readonly record struct Size(long Width, long Height)
    {
        public long Pixels => Width * Height;
    }

    public static Size? Read(string path)
    {
        using var file = File.OpenRead(path);
        return Read(file);
    }

    public static Size? Read(Stream stream)
    {
        Span<byte> head = stackalloc byte[4];
        if (stream.ReadAtLeast(head, 4, throwOnEndOfStream: false) < 4) return null;
        stream.Seek(0, SeekOrigin.Begin);
        if (head[0] == 0x89 && head[1] == (byte)'P' && head[2] == (byte)'N' && head[3] == (byte)'G') return Png(stream);
        if (head[0] == 0xFF && head[1] == 0xD8) return Jpeg(stream);
        if ((head[0] == (byte)'I' && head[1] == (byte)'I' && head[2] == 42 && head[3] == 0)
            || (head[0] == (byte)'M' && head[1] == (byte)'M' && head[2] == 0 && head[3] == 42))
        {
            return Tiff(stream, littleEndian: head[0] == (byte)'I');
        }
        return null;
    }

    private static Size? Png(Stream stream)
    {
        // Signature (8), IHDR length (4) and type (4), then width and height, big-endian.
        Span<byte> header = stackalloc byte[24];
        if (stream.ReadAtLeast(header, 24, throwOnEndOfStream: false) < 24) return null;
        if (header[12] != (byte)'I' || header[13] != (byte)'H' || header[14] != (byte)'D' || header[15] != (byte)'R') return null;
        return new Size(BinaryPrimitives.ReadUInt32BigEndian(header[16..]), BinaryPrimitives.ReadUInt32BigEndian(header[20..]));
    }

    private static Size? Jpeg(Stream stream)
    {
        stream.Seek(2, SeekOrigin.Begin);
        Span<byte> marker = stackalloc byte[4];
        Span<byte> frame = stackalloc byte[5];
        while (stream.ReadAtLeast(marker[..2], 2, throwOnEndOfStream: false) == 2)
        {
            if (marker[0] != 0xFF) return null;
            var code = marker[1];
            // Fill bytes before a marker, and markers without a length (TEM, RSTn).
            if (code == 0xFF) { stream.Seek(-1, SeekOrigin.Current); continue; }
            if (code == 0x01 || code is >= 0xD0 and <= 0xD7) continue;
            // End of image, or start of scan before any frame header: no size to be had.
            if (code is 0xD9 or 0xDA) return null;
            if (stream.ReadAtLeast(marker[2..], 2, throwOnEndOfStream: false) < 2) return null;
            var length = BinaryPrimitives.ReadUInt16BigEndian(marker[2..]);
            if (length < 2) return null;
            // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC): precision, then height and width.
            if (code is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
            {
                if (length < 7 || stream.ReadAtLeast(frame, 5, throwOnEndOfStream: false) < 5) return null;
                return new Size(BinaryPrimitives.ReadUInt16BigEndian(frame[3..]), BinaryPrimitives.ReadUInt16BigEndian(frame[1..]));
            }
            if (stream.Seek(length - 2, SeekOrigin.Current) > stream.Length) return null;
        }
        return null;
    }

    private static Size? Tiff(Stream stream, bool littleEndian)
    {
        var reader = new TiffReader(stream, littleEndian);
        var offset = reader.UInt32At(4);
        var seen = new HashSet<long>();
        Size? largest = null;
        while (offset is > 0 and { } at && seen.Add(at) && seen.Count <= MaxTiffPages)
        {
            var count = reader.UInt16At(at);
            if (count is null) return largest;
            long? width = null, height = null;
            for (var i = 0; i < count; i++)
            {
                var entry = at + 2 + (12L * i);
                var tag = reader.UInt16At(entry);
                var type = reader.UInt16At(entry + 2);
                // ImageWidth (256) and ImageLength (257), SHORT (3) or LONG (4).
                long? value = type switch
                {
                    3 => reader.UInt16At(entry + 8),
                    4 => reader.UInt32At(entry + 8),
                    _ => null,
                };
                if (tag == 256) width = value;
                else if (tag == 257) height = value;
            }
            if (width is { } w && height is { } h && (largest is null || w * h > largest.Value.Pixels)) largest = new Size(w, h);
            offset = reader.UInt32At(at + 2 + (12L * count.Value));
        }
        return largest;
    }

    private sealed class TiffReader(Stream stream, bool littleEndian)
    {
        private readonly byte[] _buffer = new byte[4];

        public ushort? UInt16At(long offset) =>
            Fill(offset, 2) ? (littleEndian ? BinaryPrimitives.ReadUInt16LittleEndian(_buffer) : BinaryPrimitives.ReadUInt16BigEndian(_buffer)) : null;

        public uint? UInt32At(long offset) =>
            Fill(offset, 4) ? (littleEndian ? BinaryPrimitives.ReadUInt32LittleEndian(_buffer) : BinaryPrimitives.ReadUInt32BigEndian(_buffer)) : null;

        private bool Fill(long offset, int count)
        {
            if (offset < 0 || offset + count > stream.Length) return false;
            stream.Seek(offset, SeekOrigin.Begin);
            return stream.ReadAtLeast(_buffer.AsSpan(0, count), count, throwOnEndOfStream: false) == count;
        }
    }
}
