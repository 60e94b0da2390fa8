namespace Kmrl.Testing.Documents;

/// <summary>
/// Password-protected Word/Excel/PowerPoint 97 files as LibreOffice itself writes them (RC4 CryptoAPI): a document is
/// stored with a password through LibreOffice's UNO API (Debian <c>python3-uno</c>, installed by build.sh), the only
/// way its headless command line does not offer.
/// </summary>
public static class ProtectedOfficeCases
{
    /// <summary>Loads the file, saves it with <paramref name="password"/> through the filter, terminates soffice.</summary>
    private const string SaveWithPassword = """
        import os, subprocess, sys, time
        import uno
        from com.sun.star.beans import PropertyValue

        def prop(name, value):
            p = PropertyValue()
            p.Name, p.Value = name, value
            return p

        source, target, filter_name, password, profile = sys.argv[1:6]
        pipe = "kmrl-protect-%d" % os.getpid()
        office = subprocess.Popen(["soffice", "--headless", "--norestore", "--nolockcheck", "-env:UserInstallation=" + profile,
                                   "--accept=pipe,name=%s;urp;" % pipe], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            local = uno.getComponentContext()
            resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
            for _ in range(120):
                try:
                    remote = resolver.resolve("uno:pipe,name=%s;urp;StarOffice.ComponentContext" % pipe)
                    break
                except Exception:
                    time.sleep(0.5)
            else:
                sys.exit("soffice did not accept a connection within a minute")
            desktop = remote.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", remote)
            document = desktop.loadComponentFromURL(uno.systemPathToFileUrl(source), "_blank", 0, (prop("Hidden", True),))
            document.storeToURL(uno.systemPathToFileUrl(target), (prop("FilterName", filter_name), prop("Password", password)))
            document.close(True)
            try:
                desktop.terminate()
            except Exception:
                pass  # the bridge closes as soffice exits
        finally:
            try:
                office.wait(30)
            except subprocess.TimeoutExpired:
                office.kill()
        """;

    /// <summary>A Word 97 .doc of the paragraphs, protected by <paramref name="password"/>.</summary>
    public static Task<byte[]> DocAsync(string password, params string[] paragraphs) =>
        ProtectAsync(TestCorpus.Docx(paragraphs), "docx", "MS Word 97", ".doc", password);

    /// <summary>An Excel 97 .xls of the rows, protected by <paramref name="password"/>.</summary>
    public static Task<byte[]> XlsAsync(string password, params string[][] rows) =>
        ProtectAsync(TestCorpus.Xlsx("Salaries", rows), "xlsx", "MS Excel 97", ".xls", password);

    private static async Task<byte[]> ProtectAsync(byte[] source, string sourceExtension, string filter, string extension, string password)
    {
        var folder = Directory.CreateTempSubdirectory("kmrl-protected-");
        try
        {
            var input = Path.Combine(folder.FullName, "source." + sourceExtension);
            var output = Path.Combine(folder.FullName, "protected" + extension);
            var script = Path.Combine(folder.FullName, "protect.py");
            await File.WriteAllBytesAsync(input, source);
            await File.WriteAllTextAsync(script, SaveWithPassword);
            // Debian's python3 (a python3 earlier on PATH lacks the uno module).
            await OfficeCases.RunAsync("/usr/bin/python3", script, input, output, filter, password, new Uri(Path.Combine(folder.FullName, "profile")).AbsoluteUri);
            return File.Exists(output) ? await File.ReadAllBytesAsync(output) : throw new InvalidOperationException($"LibreOffice wrote no protected {extension}.");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
