using System.Diagnostics;
using System.Globalization;
using System.Text;
using UglyToad.PdfPig.Content;
using UglyToad.PdfPig.Core;
using UglyToad.PdfPig.Fonts.Standard14Fonts;
using UglyToad.PdfPig.Writer;

namespace Kmrl.Testing.Documents;

/// <summary>
/// The hard scans and text layers of issue 17, generated (the legacy-font Malayalam PDF is
/// <see cref="LegacyFontCases"/>): scans turned 90°/180° or skewed
/// (ImageMagick, Debian <c>imagemagick</c>), pages in the Indic scripts (tesseract's text2image with the Noto fonts),
/// a multi-page TIFF, a filled AcroForm and a PDF with JavaScript and a launch action.
/// </summary>
public static class ScanCases
{
    /// <summary>A sample line per script, with the Noto font text2image renders it in.</summary>
    public static IReadOnlyDictionary<string, (string Font, string Text)> ScriptSamples { get; } = new Dictionary<string, (string, string)>
    {
        ["en"] = ("Noto Sans", "Kochi Metro Rail notice\nThe tender for the Aluva depot closes on twelve March."),
        ["hi"] = ("Noto Sans Devanagari", "कोच्चि मेट्रो रेल लिमिटेड\nआलुवा डिपो की निविदा बारह मार्च को बंद होगी"),
        ["ta"] = ("Noto Sans Tamil", "கொச்சி மெட்ரோ ரயில் நிறுவனம்\nஆலுவா பணிமனை ஒப்பந்தம் மார்ச் பன்னிரண்டு"),
        ["ml"] = ("Noto Sans Malayalam", "കൊച്ചി മെട്രോ റെയിൽ ലിമിറ്റഡ്\nആലുവ ഡിപ്പോയുടെ ടെണ്ടർ മാർച്ച് പന്ത്രണ്ടിന്"),
        ["bn"] = ("Noto Sans Bengali", "কোচি মেট্রো রেল লিমিটেড\nআলুভা ডিপোর দরপত্র বারো মার্চ বন্ধ হবে"),
        ["kn"] = ("Noto Sans Kannada", "ಕೊಚ್ಚಿ ಮೆಟ್ರೋ ರೈಲು ನಿಗಮ\nಆಲುವಾ ಡಿಪೋ ಟೆಂಡರ್ ಮಾರ್ಚ್ ಹನ್ನೆರಡು"),
        ["te"] = ("Noto Sans Telugu", "కొచ్చి మెట్రో రైలు సంస్థ\nఆలువా డిపో టెండర్ మార్చి పన్నెండు"),
    };

    /// <summary>A filled AcroForm: a text field and a checked box, values in the form only (not in the page's content).</summary>
    public static byte[] FilledFormPdf(string fieldName, string value)
    {
        var escaped = RawPdf.Escape(value);
        var content = "BT /F1 12 Tf 40 760 Td (Permit to work application) Tj ET";
        return RawPdf.Assemble(
        [
            "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [6 0 R 7 0 R] >> >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R /Annots [6 0 R 7 0 R] >>",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            string.Create(CultureInfo.InvariantCulture, $"<< /Length {content.Length} >>\nstream\n{content}\nendstream"),
            $"<< /Type /Annot /Subtype /Widget /FT /Tx /T ({RawPdf.Escape(fieldName)}) /V ({escaped}) /Rect [40 700 400 720] /P 3 0 R >>",
            "<< /Type /Annot /Subtype /Widget /FT /Btn /T (isolation_confirmed) /V /Yes /AS /Yes /Rect [40 660 60 680] /P 3 0 R >>",
        ]);
    }

    /// <summary>
    /// An XFA form (as LiveCycle/AEM writes government forms): /XFA is an array of packets, the filled values are in
    /// the datasets packet's <c>xfa:data</c> (UTF-8 XML), none in AcroForm fields or the page's text.
    /// </summary>
    public static byte[] XfaFormPdf(string dataXml)
    {
        var content = "BT /F1 12 Tf 40 760 Td (Please wait... this form needs an XFA reader) Tj ET";
        const string template = "<template xmlns=\"http://www.xfa.org/schema/xfa-template/3.3/\"><subform name=\"permit\"/></template>";
        var datasets = "<xfa:datasets xmlns:xfa=\"http://www.xfa.org/schema/xfa-data/1.0/\"><xfa:data>" + dataXml + "</xfa:data></xfa:datasets>";
        // UTF-8 bytes carried as Latin-1 characters, so RawPdf writes them byte for byte and /Length counts bytes.
        static string Stream(string xml)
        {
            var bytes = Encoding.Latin1.GetString(Encoding.UTF8.GetBytes(xml));
            return string.Create(CultureInfo.InvariantCulture, $"<< /Length {bytes.Length} >>\nstream\n{bytes}\nendstream");
        }
        return RawPdf.Assemble(
        [
            "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [] /XFA [(template) 6 0 R (datasets) 7 0 R] >> >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            string.Create(CultureInfo.InvariantCulture, $"<< /Length {content.Length} >>\nstream\n{content}\nendstream"),
            Stream(template),
            Stream(datasets),
        ]);
    }

    /// <summary>A PDF that runs JavaScript when opened and has a link that launches a program.</summary>
    public static byte[] ActiveContentPdf(string text)
    {
        var content = $"BT /F1 12 Tf 40 700 Td ({RawPdf.Escape(text)}) Tj ET";
        return RawPdf.Assemble(
        [
            "<< /Type /Catalog /Pages 2 0 R /OpenAction 6 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R /Annots [7 0 R] >>",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            string.Create(CultureInfo.InvariantCulture, $"<< /Length {content.Length} >>\nstream\n{content}\nendstream"),
            "<< /Type /Action /S /JavaScript /JS (app.alert\\('opened'\\);) >>",
            "<< /Type /Annot /Subtype /Link /Rect [40 690 300 710] /A << /S /Launch /F (cmd.exe) >> >>",
        ]);
    }

    /// <summary>A scanned page (PNG, 300 dpi, bi-level) of <paramref name="text"/> turned by <paramref name="degrees"/> clockwise.</summary>
    /// <remarks>2000 × 900 pixels by default: five lines for orientation detection, small enough for a quick test.</remarks>
    public static async Task<byte[]> TurnedScanPngAsync(string text, string font, double degrees, int width = 2000, int height = 900)
    {
        var tiff = await TestCorpus.RenderScanTiffAsync(text, font, width, height);
        return await ConvertAsync(tiff, "tif", "png", "-background", "white", "-rotate", degrees.ToString(CultureInfo.InvariantCulture), "-threshold", "50%",
            // PdfPig's PNG reader takes 8-bit grey, not the 1-bit a bi-level scan would be.
            "-type", "Grayscale", "-depth", "8", "-define", "png:color-type=0", "-define", "png:bit-depth=8");
    }

    /// <summary>
    /// An English scan (PNG, 300 dpi, bi-level) with one line in another script below it, as a notice with a Malayalam
    /// line reads: each part rendered by text2image in its own Noto font, stacked by ImageMagick.
    /// </summary>
    public static async Task<byte[]> MixedScriptScanPngAsync(string english, string otherLine, string otherFont)
    {
        var folder = Directory.CreateTempSubdirectory("kmrl-corpus-");
        try
        {
            var top = Path.Combine(folder.FullName, "top.tif");
            var bottom = Path.Combine(folder.FullName, "bottom.tif");
            await File.WriteAllBytesAsync(top, await TestCorpus.RenderScanTiffAsync(english, "Noto Sans", 2000, 700));
            await File.WriteAllBytesAsync(bottom, await TestCorpus.RenderScanTiffAsync(otherLine, otherFont, 2000, 300));
            var output = Path.Combine(folder.FullName, "mixed.png");
            await RunAsync("convert", [top + "[0]", bottom + "[0]", "-append", "+repage", "-threshold", "50%",
                "-type", "Grayscale", "-depth", "8", "-define", "png:color-type=0", "-define", "png:bit-depth=8", output]);
            return await File.ReadAllBytesAsync(output);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>A PDF with one page holding only the given scan (no text layer), at 300 dpi.</summary>
    public static byte[] ImagePdf(byte[] png, int widthPixels, int heightPixels)
    {
        var builder = new PdfDocumentBuilder();
        var width = widthPixels * 72.0 / 300;
        var height = heightPixels * 72.0 / 300;
        var page = builder.AddPage(width, height);
        page.AddPng(png, new PdfRectangle(0, 0, width, height));
        return builder.Build();
    }

    /// <summary>A scan with a short real text layer over it (a stamped reference, a Bates number): the layer is right but not all.</summary>
    public static byte[] ImagePdfWithStamp(byte[] png, int widthPixels, int heightPixels, string stamp)
    {
        var builder = new PdfDocumentBuilder();
        var font = builder.AddStandard14Font(Standard14Font.Helvetica);
        var width = widthPixels * 72.0 / 300;
        var height = heightPixels * 72.0 / 300;
        var page = builder.AddPage(width, height);
        page.AddPng(png, new PdfRectangle(0, 0, width, height));
        page.AddText(stamp, 8, new PdfPoint(width - 80, 12), font);
        return builder.Build();
    }

    /// <summary>A scanned PDF of <paramref name="text"/> turned by <paramref name="degrees"/> (90, 180, or a few for a skew).</summary>
    public static async Task<byte[]> TurnedScanPdfAsync(string text, string font, double degrees)
    {
        var png = await TurnedScanPngAsync(text, font, degrees);
        var (width, height) = PngSize(png);
        return ImagePdf(png, width, height);
    }

    /// <summary>One TIFF holding each text as its own page (Group 4, as a scanner or fax writes it).</summary>
    public static async Task<byte[]> MultiPageTiffAsync(string font, params string[] pages)
    {
        var folder = Directory.CreateTempSubdirectory("kmrl-corpus-");
        try
        {
            var inputs = new List<string>();
            for (var i = 0; i < pages.Length; i++)
            {
                var path = Path.Combine(folder.FullName, $"p{i}.tif");
                await File.WriteAllBytesAsync(path, await TestCorpus.RenderScanTiffAsync(pages[i], font, 1500, 500));
                inputs.Add(path + "[0]");
            }
            var output = Path.Combine(folder.FullName, "multi.tif");
            await RunAsync("convert", [.. inputs, "-compress", "Group4", output]);
            return await File.ReadAllBytesAsync(output);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    public static (int Width, int Height) PngSize(byte[] png) =>
        ((png[16] << 24) | (png[17] << 16) | (png[18] << 8) | png[19], (png[20] << 24) | (png[21] << 16) | (png[22] << 8) | png[23]);

    private static async Task<byte[]> ConvertAsync(byte[] input, string fromExtension, string toExtension, params string[] operations)
    {
        var folder = Directory.CreateTempSubdirectory("kmrl-corpus-");
        try
        {
            var source = Path.Combine(folder.FullName, "in." + fromExtension);
            var target = Path.Combine(folder.FullName, "out." + toExtension);
            await File.WriteAllBytesAsync(source, input);
            await RunAsync("convert", [source + "[0]", .. operations, target]);
            return await File.ReadAllBytesAsync(target);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static async Task RunAsync(string tool, string[] arguments)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{tool} failed: {await stderr}");
    }
}
