using Kmrl.Connectors.Maximo.Ftp;

namespace Kmrl.Connectors.Maximo.Tests.Fuzzing;

/// <summary>What <see cref="ParserFuzzTests"/> found, each pinned as a regression test (all failed before the fix).</summary>
public sealed class FuzzFindingsTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("-rw-r--r-- 1 owner group 1234 Nov 26 25:61 WO-1.pdf")]
    [InlineData("-rw-r--r-- 1 owner group 1234 Nov 26 ab:cd WO-1.pdf")]
    [InlineData("-rw-r--r-- 1 owner group 1234 Feb 31 21:44 WO-1.pdf")]
    [InlineData("-rw-r--r-- 1 owner group 1234 Nov 0 2025 WO-1.pdf")]
    [InlineData("-rw-r--r-- 1 owner group 1234 Nov 26 0 WO-1.pdf")]
    [InlineData("-rw-r--r-- 1 owner group 1234 Nov 26 : WO-1.pdf")]
    public void A_list_line_with_an_impossible_date_is_listed_with_an_unknown_time_instead_of_failing_the_listing(string line)
    {
        var entry = FtpListingParser.ParseUnixListLine("/exports", line, Now);

        Assert.NotNull(entry);
        Assert.Equal("WO-1.pdf", entry.Name);
        Assert.Equal(DateTimeOffset.MinValue, entry.Modified);
    }

    [Theory]
    [InlineData("type=file;size=29; ../secrets.pdf")]
    [InlineData("type=file;size=29; sub/WO-1.pdf")]
    [InlineData("type=file;size=29; ..")]
    public void An_mlsd_name_that_is_not_one_path_segment_is_not_listed(string line)
    {
        Assert.Null(FtpListingParser.ParseMlsdLine("/exports", line));
    }

    [Theory]
    [InlineData("-rw-r--r-- 1 owner group 29 Nov 26 21:44 ../secrets.pdf")]
    [InlineData("-rw-r--r-- 1 owner group 29 Nov 26 21:44 sub/WO-1.pdf")]
    public void A_list_line_name_that_is_not_one_path_segment_is_not_listed(string line)
    {
        Assert.Null(FtpListingParser.ParseUnixListLine("/exports", line, Now));
    }

    [Fact]
    public void An_mdtm_time_at_the_last_second_of_year_9999_with_a_fraction_is_that_second()
    {
        Assert.Equal(new DateTimeOffset(9999, 12, 31, 23, 59, 59, TimeSpan.Zero), FtpListingParser.ParseMdtm("99991231235959.9999")!.Value.AddTicks(-9999000));
    }

    [Fact]
    public void An_mdtm_fraction_with_an_exponent_is_ignored_rather_than_moving_the_time_by_years()
    {
        Assert.Equal(new DateTimeOffset(2026, 11, 26, 21, 44, 59, TimeSpan.Zero), FtpListingParser.ParseMdtm("20261126214459.9e9"));
    }
}
