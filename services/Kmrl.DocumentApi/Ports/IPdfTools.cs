namespace Kmrl.DocumentApi.Ports;

/// <summary>What qpdf says about a PDF's encryption.</summary>
public enum PdfPasswordNeed
{
    /// <summary>Not encrypted at all.</summary>
    NotEncrypted,
    /// <summary>Encrypted with an empty user password (permissions only): anyone can open it.</summary>
    NotRequired,
    /// <summary>A user password is needed to open it.</summary>
    Required,
    /// <summary>The tool could not tell (damaged file).</summary>
    Unknown,
}

/// <summary>
/// The field's PDF tools for what PdfPig cannot do: poppler reads damaged files (it reconstructs a broken xref) and
/// qpdf tells and removes permission-only encryption. Each may be missing on a developer machine
/// (<see cref="ToolNotInstalledException"/>).
/// </summary>
public interface IPdfTools
{
    /// <summary>The text of every page as poppler reads it, or null when poppler cannot open the file either.</summary>
    Task<IReadOnlyList<string>?> ReadPagesAsync(string pdfPath, CancellationToken cancellationToken);

    Task<PdfPasswordNeed> PasswordNeedAsync(string pdfPath, CancellationToken cancellationToken);

    /// <summary>
    /// Embedded fonts without a ToUnicode map (pdffonts' "uni no") on one page, or in the whole file when
    /// <paramref name="page"/> is null: their text layer may be glyph codes, not Unicode (legacy Indic fonts).
    /// </summary>
    Task<IReadOnlyList<string>> UnmappedFontsAsync(string pdfPath, int? page, CancellationToken cancellationToken);

    /// <summary>Writes a copy without encryption; false when that needs a password or the file is unreadable.</summary>
    Task<bool> DecryptAsync(string pdfPath, string outputPath, CancellationToken cancellationToken);
}
