using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Kmrl.Testing.Documents;

/// <summary>
/// Issue 18's pixel bombs: files of a few hundred bytes or kilobytes that declare an enormous raster, made cheaply and
/// exactly (no image library writes them).
/// </summary>
public static class HostileImages
{
    /// <summary>
    /// A valid PNG, 1-bit grayscale, every pixel white: <paramref name="width"/> × <paramref name="height"/> compress to
    /// about a thousandth of their decoded size (30,000 × 30,000 is ~110 KB on disk, 900 million pixels decoded).
    /// </summary>
    public static byte[] HugePng(int width, int height)
    {
        var rowBytes = 1 + ((width + 7) / 8);
        using var pixels = new MemoryStream();
        using (var zlib = new ZLibStream(pixels, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var row = new byte[rowBytes];
            Array.Fill(row, (byte)0xFF);
            row[0] = 0; // filter type None
            for (var y = 0; y < height; y++) zlib.Write(row);
        }
        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), (uint)height);
        header[8] = 1; // bit depth
        header[9] = 0; // grayscale
        Chunk(png, "IHDR", header);
        Chunk(png, "IDAT", pixels.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>
    /// A one-page PDF of a few hundred bytes whose page is <paramref name="points"/> square (14,400 pt, 200 inches, is
    /// the largest PDF 1.7 allows): no text layer, so it goes to OCR, and at 300 dpi pdftoppm would render 60,000 ×
    /// 60,000 pixels.
    /// </summary>
    public static byte[] HugePagePdf(int points = 14_400) => RawPdf.Assemble(
    [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        $"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {points} {points}] >>",
    ]);

    private static void Chunk(Stream png, string type, byte[] data)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(length, (uint)data.Length);
        png.Write(length);
        var typeBytes = Encoding.ASCII.GetBytes(type);
        png.Write(typeBytes);
        png.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(length, Crc32([.. typeBytes, .. data]));
        png.Write(length);
    }

    /// <summary>PNG's CRC-32 (ISO 3309, reflected 0xEDB88320) over a chunk's type and data.</summary>
    private static uint Crc32(byte[] bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }
        return ~crc;
    }
}
