using System.Globalization;
using System.Security;
using System.Text;

namespace Kmrl.Testing.Documents;

/// <summary>
/// A legacy-font Malayalam PDF as a typesetter makes it: LibreOffice (Debian libreoffice-writer-nogui) lays the
/// Malayalam out with HarfBuzz (vowel signs reordered, conjuncts formed) and embeds the font subset as a simple font
/// whose codes are glyph numbers from 1 up; then the Malayalam font's ToUnicode map is removed, as ML-TT/FML-era PDFs
/// have none. The page shows correct Malayalam; its text layer is control characters (PdfPig) or scattered wrong
/// letters (pdftotext guesses some from glyph names), while an English heading in its own font keeps a good layer.
/// </summary>
/// <remarks>
/// Not drawn with PdfPig: it does not shape, so such a page shows Malayalam letters in code-point order (a vowel sign
/// after its consonant, no conjuncts), which no reader of the page can turn back into the source text.
/// </remarks>
public static class LegacyFontCases
{
    /// <summary>An English heading in LibreOffice's default font over Malayalam lines at 20 pt, as a circular's title block.</summary>
    public static Task<byte[]> ShapedLegacyFontMalayalamPdfAsync(string? heading, params string[] malayalamLines) =>
        ShapedLegacyFontMalayalamPdfAsync(heading, 20, malayalamLines);

    /// <param name="heading">An English line above the Malayalam, or null for a page in Malayalam only.</param>
    /// <param name="fontSize">Points; 12 is a circular's body text.</param>
    public static async Task<byte[]> ShapedLegacyFontMalayalamPdfAsync(string? heading, double fontSize, params string[] malayalamLines)
    {
        var folder = Directory.CreateTempSubdirectory("kmrl-legacy-font-");
        try
        {
            var paragraphs = new StringBuilder(heading is null ? "" : $"<text:p>{SecurityElement.Escape(heading)}</text:p>");
            var size = fontSize.ToString(CultureInfo.InvariantCulture) + "pt";
            foreach (var line in malayalamLines) paragraphs.Append($"<text:p text:style-name=\"ML\">{SecurityElement.Escape(line)}</text:p>");
            var source = Path.Combine(folder.FullName, "circular.fodt");
            await File.WriteAllTextAsync(source, $"""
                <?xml version="1.0" encoding="UTF-8"?>
                <office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"
                  xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
                  xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" office:version="1.2" office:mimetype="application/vnd.oasis.opendocument.text">
                  <office:font-face-decls><style:font-face style:name="Noto Sans Malayalam" svg:font-family="'Noto Sans Malayalam'"/></office:font-face-decls>
                  <office:automatic-styles><style:style style:name="ML" style:family="paragraph"><style:text-properties style:font-name="Noto Sans Malayalam"
                    style:font-name-complex="Noto Sans Malayalam" fo:font-size="{size}" style:font-size-complex="{size}"/></style:style></office:automatic-styles>
                  <office:body><office:text>{paragraphs}</office:text></office:body>
                </office:document>
                """);
            var profile = new Uri(Path.Combine(folder.FullName, "profile")).AbsoluteUri;
            await OfficeCases.RunAsync("soffice", "--headless", "--norestore", "--nolockcheck", $"-env:UserInstallation={profile}",
                "--convert-to", "pdf", "--outdir", folder.FullName, source);
            var pdf = Encoding.Latin1.GetString(await File.ReadAllBytesAsync(Path.Combine(folder.FullName, "circular.pdf")));
            // Only the Malayalam font loses its map (LibreOffice writes font dictionaries uncompressed); same length, so
            // the xref offsets stay right.
            var font = pdf.IndexOf("+NotoSansMalayalam", StringComparison.Ordinal);
            var map = font < 0 ? -1 : pdf.IndexOf("/ToUnicode", font, StringComparison.Ordinal);
            if (map < 0) throw new InvalidOperationException("LibreOffice wrote no Malayalam font with a ToUnicode map; is fonts-noto-core installed?");
            return Encoding.Latin1.GetBytes(string.Concat(pdf.AsSpan(0, map), "/ToUnicodX", pdf.AsSpan(map + "/ToUnicode".Length)));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>
    /// A text PDF whose font's ToUnicode map lies, as legacy fonts mapped onto ASCII do: the page shows
    /// <paramref name="lines"/> in a sans font, the map turns every visible character into the next one (K → L), so the
    /// text layer is clean, plausible letters that say something else ("Lpdij" for "Kochi"). No check of the layer
    /// alone can tell; only OCR of the page can.
    /// </summary>
    public static byte[] LyingToUnicodePdf(params string[] lines)
    {
        var content = new StringBuilder("BT /F1 16 Tf 50 740 Td 22 TL");
        foreach (var line in lines) content.Append(CultureInfo.InvariantCulture, $" ({RawPdf.Escape(line)}) '");
        content.Append(" ET");
        const string cmap = "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
            + "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def /CMapName /Adobe-Identity-UCS def /CMapType 2 def\n"
            + "1 begincodespacerange <00> <FF> endcodespacerange\n"
            + "2 beginbfrange <20> <20> <0020> <21> <7E> <0022> endbfrange\n"
            + "endcmap CMapName currentdict /CMap defineresource pop end end";
        return RawPdf.Assemble(
        [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
            // Not one of the standard 14 (a reader decodes those by name and may ignore the map): a TrueType font the
            // viewer substitutes (poppler: Liberation Sans by fontconfig), its map honoured by every reader.
            "<< /Type /Font /Subtype /TrueType /BaseFont /KmrlSans /FirstChar 32 /LastChar 126 /Widths [" + string.Join(' ', Enumerable.Repeat("556", 95))
                + "] /Encoding /WinAnsiEncoding /FontDescriptor 7 0 R /ToUnicode 6 0 R >>",
            string.Create(CultureInfo.InvariantCulture, $"<< /Length {content.Length} >>\nstream\n{content}\nendstream"),
            string.Create(CultureInfo.InvariantCulture, $"<< /Length {cmap.Length} >>\nstream\n{cmap}\nendstream"),
            "<< /Type /FontDescriptor /FontName /KmrlSans /Flags 32 /FontBBox [-166 -225 1000 931] /ItalicAngle 0 /Ascent 718 /Descent -207 /CapHeight 718 /StemV 88 >>",
        ]);
    }
}
