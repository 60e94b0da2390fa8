using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Kmrl.Testing.Documents;

/// <summary>
/// PDFs of the hard classes real intake meets, generated here: a broken xref that poppler reconstructs and PdfPig does
/// not, permission-only and password encryption made by qpdf (Debian <c>qpdf</c>), and a text layer holding control
/// characters (form feed included), as legacy-font PDFs have.
/// </summary>
public static class PdfCases
{
    /// <summary>One page, one line of Helvetica text; <paramref name="pdfString"/> is the literal string's content as written.</summary>
    public static byte[] OneLine(string pdfString)
    {
        var content = $"BT /F1 12 Tf 40 700 Td ({pdfString}) Tj ET";
        return RawPdf.Assemble(
        [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            string.Create(CultureInfo.InvariantCulture, $"<< /Length {content.Length} >>\nstream\n{content}\nendstream"),
        ]);
    }

    /// <summary>
    /// A valid PDF whose xref table points past the end of the file for every object: poppler rebuilds the table by
    /// scanning for objects, PdfPig 0.1 fails with an IndexOutOfRangeException.
    /// </summary>
    public static byte[] BrokenXref(string text)
    {
        var pdf = Encoding.Latin1.GetString(OneLine(RawPdf.Escape(text)));
        var xref = pdf.IndexOf("xref\n", StringComparison.Ordinal);
        var trailer = pdf.IndexOf("trailer", StringComparison.Ordinal);
        var table = new StringBuilder("xref\n0 6\n0000000000 65535 f \n");
        for (var i = 0; i < 5; i++) table.Append(CultureInfo.InvariantCulture, $"{pdf.Length + 9000 + i:D10} 00000 n \n");
        return Encoding.Latin1.GetBytes(pdf[..xref] + table + pdf[trailer..]);
    }

    /// <summary>Not a PDF any tool can read: the header and the first object, cut off.</summary>
    public static byte[] Truncated(string text) => OneLine(RawPdf.Escape(text))[..60];

    /// <summary>A text layer with a form feed and C0 controls inside the one page's text (octal escapes in the string).</summary>
    public static byte[] ControlCharacters() => OneLine("Section one\\014Section two\\001\\002 ends here");

    /// <summary>Encrypted with an empty user password and an owner password (AES-256, no changes allowed): anyone can open it.</summary>
    public static byte[] PermissionOnlyEncrypted(string text) => Qpdf(OneLine(RawPdf.Escape(text)), "", "owner-secret", "--modify=none");

    /// <summary>Encrypted with a user password: nobody without it can read the text.</summary>
    public static byte[] PasswordEncrypted(string text) => Qpdf(OneLine(RawPdf.Escape(text)), "user-secret", "owner-secret");

    private static byte[] Qpdf(byte[] plain, string userPassword, string ownerPassword, params string[] restrictions)
    {
        var folder = Directory.CreateTempSubdirectory("kmrl-corpus-");
        try
        {
            var input = Path.Combine(folder.FullName, "in.pdf");
            var output = Path.Combine(folder.FullName, "out.pdf");
            File.WriteAllBytes(input, plain);
            var start = new ProcessStartInfo("qpdf") { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var argument in (string[])["--encrypt", userPassword, ownerPassword, "256", .. restrictions, "--", input, output])
            {
                start.ArgumentList.Add(argument);
            }
            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0) throw new InvalidOperationException($"qpdf failed: {stderr}");
            return File.ReadAllBytes(output);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
