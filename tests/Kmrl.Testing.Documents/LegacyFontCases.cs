using System.Security;
using System.Text;

namespace Kmrl.Testing.Documents;

/// <summary>
/// A legacy-font Malayalam PDF drawn as a typesetter draws it: LibreOffice (Debian libreoffice-writer-nogui) lays the
/// Malayalam out with HarfBuzz (vowel signs reordered, conjuncts formed) and embeds the font subset re-encoded as a
/// simple WinAnsi font, then the ToUnicode maps are removed, as ML-TT/FML-era PDFs have none. The page shows correct
/// Malayalam; its text layer is glyph codes. <see cref="ScanCases.LegacyFontMalayalamPdf"/> draws with PdfPig instead,
/// which does not shape: that page shows Malayalam letters in code-point order, which no OCR reads back as the source.
/// </summary>
public static class LegacyFontCases
{
    public static async Task<byte[]> ShapedLegacyFontMalayalamPdfAsync(string heading, params string[] malayalamLines)
    {
        var folder = Directory.CreateTempSubdirectory("kmrl-legacy-font-");
        try
        {
            var paragraphs = new StringBuilder($"<text:p>{SecurityElement.Escape(heading)}</text:p>");
            foreach (var line in malayalamLines) paragraphs.Append($"<text:p text:style-name=\"ML\">{SecurityElement.Escape(line)}</text:p>");
            var source = Path.Combine(folder.FullName, "circular.fodt");
            await File.WriteAllTextAsync(source, $"""
                <?xml version="1.0" encoding="UTF-8"?>
                <office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"
                  xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
                  xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" office:version="1.2" office:mimetype="application/vnd.oasis.opendocument.text">
                  <office:font-face-decls><style:font-face style:name="Noto Sans Malayalam" svg:font-family="'Noto Sans Malayalam'"/></office:font-face-decls>
                  <office:automatic-styles><style:style style:name="ML" style:family="paragraph"><style:text-properties style:font-name="Noto Sans Malayalam"
                    style:font-name-complex="Noto Sans Malayalam" fo:font-size="20pt" style:font-size-complex="20pt"/></style:style></office:automatic-styles>
                  <office:body><office:text>{paragraphs}</office:text></office:body>
                </office:document>
                """);
            var profile = new Uri(Path.Combine(folder.FullName, "profile")).AbsoluteUri;
            await OfficeCases.RunAsync("soffice", "--headless", "--norestore", "--nolockcheck", $"-env:UserInstallation={profile}",
                "--convert-to", "pdf", "--outdir", folder.FullName, source);
            var pdf = Encoding.Latin1.GetString(await File.ReadAllBytesAsync(Path.Combine(folder.FullName, "circular.pdf")));
            // Same length, so the xref offsets stay right: the font dictionaries no longer name their maps.
            return Encoding.Latin1.GetBytes(pdf.Replace("/ToUnicode", "/ToUnicodX", StringComparison.Ordinal));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
