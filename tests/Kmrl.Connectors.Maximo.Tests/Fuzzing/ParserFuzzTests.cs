using System.Text;
using CsCheck;
using Kmrl.Connectors.Maximo.Export;
using Kmrl.Connectors.Maximo.Ftp;

namespace Kmrl.Connectors.Maximo.Tests.Fuzzing;

/// <summary>
/// Property-based fuzzing of the parsers maximo-connector owns (FTP listing lines, MDTM times, FTP replies, the MIF
/// header) over inputs built from their own grammar's pieces: whatever a server or an export sends, each answers
/// (an entry, null, empty metadata, or the IOException the client expects) and never throws anything else, which
/// in a listing would fail the whole folder. Two seconds each by default; <c>CsCheck_Time=600</c> runs longer,
/// <c>CsCheck_Seed</c> replays a failure CsCheck printed. Findings: the connector's README.
/// </summary>
public sealed class ParserFuzzTests
{
    private static int Seconds => Check.Time > 0 ? Check.Time : 2;

    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private static Gen<string> Pieces(params string[] pieces) => Gen.OneOf(pieces).Array[0, 24].Select(p => string.Concat(p));

    private static readonly Gen<string> UnixLines = Gen.Select(
        Gen.OneOf("-rw-r--r--", "drwxr-xr-x", "lrwxrwxrwx", "-", "d", "total 8"),
        Pieces(" ", "  ", "1", "owner", "group", "1234", "-1", "99999999999999999999", "Nov", "Feb", "xyz", "26", "31", "0", "00",
            "21:44", "25:61", "ab:cd", ":", "12:", ":30", "2025", "0", "99999", "name.pdf", "..", ".", "a b", "/", "../x", "\u202E", "\r", "\n"),
        (kind, rest) => kind + rest);

    private static readonly Gen<string> MlsdLines = Pieces("type=file;", "type=dir;", "type=cdir;", "size=29;", "size=-1;", "size=;", "modify=20261126214459;",
        "modify=20261126214459.123;", "modify=99991231235959.9999;", "modify=2026;", "=;", ";", "type", " ", "WO-1.pdf", "../x", "a/b", ".", "..", "\r");

    [Fact]
    public void A_unix_list_line_is_an_entry_or_null_and_never_an_exception()
    {
        UnixLines.Sample(line =>
        {
            var entry = FtpListingParser.ParseUnixListLine("/exports", line, Now);
            Assert.True(entry is null || entry.Name.Length > 0);
        }, time: Seconds, threads: 1);
    }

    [Fact]
    public void An_mlsd_line_is_an_entry_or_null_and_never_an_exception()
    {
        MlsdLines.Sample(line =>
        {
            var entry = FtpListingParser.ParseMlsdLine("/exports", line);
            Assert.True(entry is null || entry.Name.Length > 0);
        }, time: Seconds, threads: 1);
    }

    [Fact]
    public void A_listed_name_never_leaves_the_folder_it_was_listed_in()
    {
        Gen.OneOf(UnixLines, MlsdLines).Sample(line =>
        {
            var entry = FtpListingParser.ParseUnixListLine("/exports", line, Now) ?? FtpListingParser.ParseMlsdLine("/exports", line);
            if (entry is null) return;
            Assert.DoesNotContain('/', entry.Name);
            Assert.NotEqual("..", entry.Name);
            Assert.Equal("/exports/" + entry.Name, entry.Path);
        }, time: Seconds, threads: 1);
    }

    [Fact]
    public void An_mdtm_value_is_a_time_or_null_and_never_an_exception()
    {
        Pieces("2026", "9999", "0000", "12", "31", "23", "59", "60", "13", "00", ".", ".9999999", "e9", "-", " ").Sample(value =>
        {
            _ = FtpListingParser.ParseMdtm(value);
        }, time: Seconds, threads: 1);
    }

    [Fact]
    public async Task An_ftp_reply_is_read_or_refused_with_an_io_exception()
    {
        await Pieces("220", "220-", "220 ", "550 ", "5", "ab ", "Welcome", "\r\n", "\n", "\r", "220-line\r\n", "220 end\r\n", "\0").SampleAsync(async text =>
        {
            var reader = new FtpReplyReader(new MemoryStream(Encoding.UTF8.GetBytes(text)));
            try
            {
                var reply = await reader.ReadReplyAsync(CancellationToken.None);
                Assert.InRange(reply.Code, 0, 999);
            }
            catch (IOException)
            {
                // A closed connection or a malformed reply: what FtpClient expects.
            }
        }, time: Seconds, threads: 1);
    }

    [Fact]
    public void A_mif_header_is_metadata_or_empty_and_never_an_exception()
    {
        var heads = Gen.Select(Gen.OneOf("WO-1.dat", "WO-1.csv", "WO-1.xml", "WO-1.txt"),
            Pieces("\"KMRL-MAXIMO\"", ",", "|", "\t", ";", "~", "\"", "\"\"", "MXWO_OUT", "Replace", "EN", "\n", "\r\n", "\uFEFF",
                "<?xml version=\"1.0\"?>", "<SyncMXWO", "<PublishMXWO", " maximoVersion=\"7.6\"", ">", "</", "\u00ff"),
            Gen.Byte.Array[0, 8],
            (name, text, noise) => (name, Encoding.UTF8.GetBytes(text).Concat(noise).ToArray()));
        heads.Sample((name, head) =>
        {
            var metadata = MifHeader.Parse(name, head);
            Assert.All(metadata.Values, value => Assert.DoesNotContain('\n', value));
        }, time: Seconds, threads: 1);
    }
}
