using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Kmrl.Testing.Documents;

/// <summary>
/// Documents of the formats read through the field's converters, made by the field's own writers: LibreOffice
/// (Debian libreoffice-*-nogui) saves the OOXML test files as Word/Excel/PowerPoint 97 and OpenDocument, Perl's
/// OLE::Storage_Lite (a dependency of Debian libemail-outlook-message-perl) writes an Outlook .msg. RTF is written
/// here: it is plain text markup. Nothing binary is committed. Without the tools the generation fails loudly: build.sh
/// installs them.
/// </summary>
public static class OfficeCases
{
    /// <summary>One paragraph per string; non-ASCII characters as RTF's <c>\uN?</c> escapes, as Word writes them.</summary>
    public static byte[] Rtf(params string[] paragraphs)
    {
        var rtf = new StringBuilder(@"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0 Liberation Serif;}}\f0\fs24 ");
        foreach (var paragraph in paragraphs)
        {
            foreach (var c in paragraph)
            {
                rtf.Append(c switch
                {
                    '\\' or '{' or '}' => "\\" + c,
                    '\t' => @"\tab ",
                    < (char)128 => c.ToString(),
                    _ => string.Create(CultureInfo.InvariantCulture, $@"\u{(short)c}?"),
                });
            }
            rtf.Append(@"\par ");
        }
        return Encoding.ASCII.GetBytes(rtf.Append('}').ToString());
    }

    /// <summary>
    /// Each source document saved by LibreOffice as each target extension: <c>{"doc": ..., "odt": ...}</c> from a
    /// .docx, .xls/.ods from a .xlsx, .ppt/.odp from a .pptx. One soffice run per target (each start costs seconds).
    /// </summary>
    public static async Task<IReadOnlyDictionary<string, byte[]>> ConvertAsync(byte[] docx, byte[] xlsx, byte[] pptx)
    {
        var folder = Directory.CreateTempSubdirectory("kmrl-office-corpus-");
        try
        {
            await File.WriteAllBytesAsync(Path.Combine(folder.FullName, "source.docx"), docx);
            await File.WriteAllBytesAsync(Path.Combine(folder.FullName, "source.xlsx"), xlsx);
            await File.WriteAllBytesAsync(Path.Combine(folder.FullName, "source.pptx"), pptx);
            var profile = new Uri(Path.Combine(folder.FullName, "profile")).AbsoluteUri;
            var results = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            foreach (var (source, target) in (IEnumerable<(string, string)>)[("docx", "doc"), ("docx", "odt"), ("xlsx", "xls"), ("xlsx", "ods"), ("pptx", "ppt"), ("pptx", "odp")])
            {
                var output = Path.Combine(folder.FullName, target);
                await RunAsync("soffice", "--headless", "--norestore", "--nolockcheck", $"-env:UserInstallation={profile}",
                    "--convert-to", target, "--outdir", output, Path.Combine(folder.FullName, "source." + source));
                var file = Path.Combine(output, "source." + target);
                results[target] = File.Exists(file)
                    ? await File.ReadAllBytesAsync(file)
                    : throw new InvalidOperationException($"soffice wrote no {target} from the {source}.");
            }
            return results;
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>
    /// An Outlook message as Outlook stores it: MAPI properties as <c>__substg1.0_&lt;tag&gt;&lt;type&gt;</c> streams
    /// (001F = UTF-16LE string, 0102 = binary) in an OLE compound file, an attachment in its own storage.
    /// </summary>
    public static async Task<byte[]> OutlookMessageAsync(string from, string subject, string body, string attachmentName, byte[] attachment)
    {
        var folder = Directory.CreateTempSubdirectory("kmrl-msg-corpus-");
        try
        {
            var data = Path.Combine(folder.FullName, "attachment.bin");
            await File.WriteAllBytesAsync(data, attachment);
            var output = Path.Combine(folder.FullName, "message.msg");
            var script = Path.Combine(folder.FullName, "write-msg.pl");
            await File.WriteAllTextAsync(script, MsgWriter);
            await RunAsync("perl", script, output, from, subject, body, attachmentName, data);
            return await File.ReadAllBytesAsync(output);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    // Arguments: output path, sender address, subject, body, attachment name, attachment data file. Strings arrive as
    // UTF-8 and are stored as UTF-16LE (type 001F); the property streams carry no fixed-size properties (header only).
    private const string MsgWriter = """
        use strict; use warnings; use Encode qw(decode encode);
        use OLE::Storage_Lite;
        my ($out, $from, $subject, $body, $name, $datafile) = map { decode('UTF-8', $_) } @ARGV;
        open(my $fh, '<:raw', $datafile) or die "cannot read $datafile"; local $/; my $data = <$fh>; close $fh;
        my @time = (0, 0, 10, 2, 10, 126);
        sub stream { my ($n, $bytes) = @_; OLE::Storage_Lite::PPS::File->new(OLE::Storage_Lite::Asc2Ucs($n), $bytes) }
        sub text { my ($tag, $value) = @_; stream("__substg1.0_${tag}001F", encode('UTF-16LE', $value)) }
        my $attachment = OLE::Storage_Lite::PPS::Dir->new(OLE::Storage_Lite::Asc2Ucs('__attach_version1.0_#00000000'), \@time, \@time, [
            text('3707', $name), text('3704', $name), text('370E', 'application/octet-stream'),
            stream('__substg1.0_37010102', $data), stream('__properties_version1.0', "\0" x 8)]);
        my $root = OLE::Storage_Lite::PPS::Root->new(\@time, \@time, [
            text('001A', 'IPM.Note'), text('0037', $subject), text('1000', $body), text('0C1A', $from), text('0C1F', $from),
            text('0C1E', 'SMTP'), text('0E04', 'records@kochimetro.org'),
            stream('__properties_version1.0', "\0" x 32), $attachment]);
        $root->save($out) or die "cannot write $out";
        """;

    internal static async Task RunAsync(string tool, params string[] arguments)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{tool} did not start.");
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        // Bounded: a converter that hangs fails this case, not the whole run at vstest's hang timeout.
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{tool} ran longer than 3 minutes.");
        }
        if (process.ExitCode != 0) throw new InvalidOperationException($"{tool} failed ({process.ExitCode}): {await stderr}");
    }
}
