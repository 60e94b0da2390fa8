using System.Globalization;
using System.Text;
using Kmrl.Testing.Documents;

namespace Kmrl.Bench.Benchmarks;

/// <summary>
/// A text PDF (Helvetica, uncompressed content streams, a real xref table) of a given size whose first page carries
/// a fixed-width serial number. <see cref="WithSerial"/> stamps a new serial into a copy without moving a byte, so
/// every upload is distinct content (the pipeline's dedupe does not short-cut it) at the cost of a 256 KiB copy.
/// </summary>
public sealed class BenchPdf
{
    public const int SerialDigits = 10;
    private const string SerialPlaceholder = "0000000000";

    private static readonly string[] Words =
    [
        "inspection", "escalator", "maintenance", "Aluva", "Edappally", "Kaloor", "Vyttila", "train", "TS-07", "bogie",
        "brake", "overhaul", "invoice", "vendor", "safety", "circular", "platform", "signalling", "depot", "Muttom",
        "traction", "substation", "report", "incident", "staff", "schedule", "inventory", "spares", "wheel", "axle",
        "tender", "approval", "board", "minutes", "drawing", "revision", "track", "viaduct", "station", "power",
    ];

    private readonly byte[] _template;
    private readonly int _serialOffset;

    private BenchPdf(byte[] template, int serialOffset)
    {
        _template = template;
        _serialOffset = serialOffset;
    }

    public int Length => _template.Length;

    /// <summary>Pages of generated maintenance prose until the file reaches <paramref name="targetBytes"/>.</summary>
    public static BenchPdf Create(int targetBytes, int seed)
    {
        var random = new Random(seed);
        var pages = new List<string[]>();
        byte[] bytes = [];
        while (bytes.Length < targetBytes)
        {
            var lines = new string[46];
            for (var i = 0; i < lines.Length; i++)
            {
                lines[i] = string.Join(' ', Enumerable.Range(0, 12).Select(_ => Words[random.Next(Words.Length)]));
            }
            if (pages.Count == 0)
            {
                lines[0] = "KMRL maintenance report serial " + SerialPlaceholder;
            }
            pages.Add(lines);
            bytes = Build(pages); // a page is ~4 KiB: rebuilding until the size is reached costs a few milliseconds
        }
        var offset = Encoding.Latin1.GetString(bytes).IndexOf(SerialPlaceholder, StringComparison.Ordinal);
        return new BenchPdf(bytes, offset);
    }

    /// <summary>A copy with <paramref name="serial"/> written where the placeholder was.</summary>
    public byte[] WithSerial(long serial)
    {
        var copy = (byte[])_template.Clone();
        Encoding.ASCII.GetBytes(serial.ToString("D" + SerialDigits, CultureInfo.InvariantCulture), copy.AsSpan(_serialOffset, SerialDigits));
        return copy;
    }

    /// <summary>A minimal, valid PDF 1.4: catalog, page tree, one Helvetica font, one content stream per page.</summary>
    public static byte[] Build(IReadOnlyList<string[]> pages)
    {
        var objects = new List<string>
        {
            "<< /Type /Catalog /Pages 2 0 R >>",
            string.Empty, // the page tree, filled in once the page object numbers are known
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        };
        var kids = new List<string>();
        foreach (var lines in pages)
        {
            var content = new StringBuilder("BT /F1 11 Tf 40 790 Td 15 TL\n");
            foreach (var line in lines)
            {
                content.Append('(').Append(RawPdf.Escape(line)).Append(") '\n");
            }
            content.Append("ET");
            var text = content.ToString();
            objects.Add(string.Create(CultureInfo.InvariantCulture, $"<< /Length {Encoding.Latin1.GetByteCount(text)} >>\nstream\n{text}\nendstream"));
            var contentNumber = objects.Count;
            objects.Add(string.Create(CultureInfo.InvariantCulture,
                $"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents {contentNumber} 0 R >>"));
            kids.Add(string.Create(CultureInfo.InvariantCulture, $"{objects.Count} 0 R"));
        }
        objects[1] = string.Create(CultureInfo.InvariantCulture, $"<< /Type /Pages /Kids [{string.Join(' ', kids)}] /Count {kids.Count} >>");

        return RawPdf.Assemble(objects);
    }
}
