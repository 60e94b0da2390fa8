using Kmrl.DocumentApi.Processing;

namespace Kmrl.DocumentApi.Ports;

/// <summary>
/// The field's converters for formats read through another: LibreOffice saves legacy Office, OpenDocument and RTF as
/// the OOXML counterpart our extractors read; <c>msgconvert</c> turns an Outlook .msg into an Internet message. Both
/// may be missing on a developer machine (<see cref="ToolNotInstalledException"/>): the document is then catalogued
/// without text and marked with the missing tool.
/// </summary>
public interface IOfficeConverter
{
    /// <summary>Writes the document as .docx, .xlsx or .pptx (by <paramref name="application"/>) into <paramref name="folder"/> and returns its path.</summary>
    /// <param name="extension">The input's own extension (".doc", ".odt", ".rtf"...): LibreOffice picks its import filter by it and by the content.</param>
    Task<string> ConvertToOpenXmlAsync(string path, string extension, LegacyApplication application, string folder, CancellationToken cancellationToken);

    /// <summary>Writes the .msg as an .eml file into <paramref name="folder"/> and returns its path.</summary>
    Task<string> ConvertMessageAsync(string path, string folder, CancellationToken cancellationToken);
}
