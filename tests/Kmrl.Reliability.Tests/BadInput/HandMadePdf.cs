using System.Globalization;
using Kmrl.Testing.Documents;

namespace Kmrl.Reliability.Tests.BadInput;

/// <summary>
/// A one-page PDF written byte by byte with a correct xref, so a case can add what a PDF library would not write
/// (a JavaScript open action) and still be a well-formed file: the case then tests the service, not a broken file.
/// </summary>
public static class HandMadePdf
{
    public static byte[] Build(string text, string extraCatalogEntries = "")
    {
        var content = $"BT /F1 12 Tf 40 780 Td ({RawPdf.Escape(text)}) Tj ET";
        string[] objects =
        [
            $"<< /Type /Catalog /Pages 2 0 R {extraCatalogEntries}>>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            string.Create(CultureInfo.InvariantCulture, $"<< /Length {content.Length} >>\nstream\n{content}\nendstream"),
        ];
        return RawPdf.Assemble(objects);
    }
}
