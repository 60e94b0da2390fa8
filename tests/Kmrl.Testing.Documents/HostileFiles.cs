using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace Kmrl.Testing.Documents;

/// <summary>
/// Issue 18's resource bombs: files of a few hundred bytes or kilobytes that declare an enormous raster, and a Word
/// file small enough to pass the zip caps whose DOM needs gigabytes; made cheaply and exactly.
/// </summary>
public static class HostileFiles
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

    /// <summary>
    /// A .docx of <paramref name="paragraphs"/> one-line paragraphs, every twentieth numbered so that the part
    /// compresses about 150:1, under the zip-bomb ratio cap (200): 1.5 million paragraphs are ~80 MB of XML in a
    /// ~550 KB file, and an SDK DOM of well over a gigabyte (issue 18: a 1.29 MB .docx needed a 1.7 GiB heap).
    /// </summary>
    public static byte[] ManyParagraphsDocx(int paragraphs)
    {
        var random = new Random(18);
        var body = new StringBuilder(paragraphs * 56);
        for (var i = 0; i < paragraphs; i++)
        {
            body.Append(i % 20 == 0
                ? string.Create(CultureInfo.InvariantCulture, $"<w:p><w:r><w:t>Track circuit fault {random.Next(1_000)}</w:t></w:r></w:p>")
                : "<w:p><w:r><w:t>Track circuit fault</w:t></w:r></w:p>");
        }
        using var memory = new MemoryStream();
        memory.Write(TestCorpus.Docx("placeholder"));
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Update, leaveOpen: true))
        {
            var entry = zip.GetEntry("word/document.xml") ?? throw new InvalidOperationException("The generated .docx has no word/document.xml.");
            string xml;
            using (var reader = new StreamReader(entry.Open()))
            {
                xml = reader.ReadToEnd();
            }
            var from = xml.IndexOf("<w:body>", StringComparison.Ordinal) + "<w:body>".Length;
            var to = xml.IndexOf("</w:body>", StringComparison.Ordinal);
            entry.Delete();
            using var writer = new StreamWriter(zip.CreateEntry("word/document.xml", CompressionLevel.SmallestSize).Open(), new UTF8Encoding(false));
            writer.Write(xml[..from]);
            writer.Write(body);
            writer.Write(xml[to..]);
        }
        return memory.ToArray();
    }

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
