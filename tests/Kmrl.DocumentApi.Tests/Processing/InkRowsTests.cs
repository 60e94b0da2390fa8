using Kmrl.DocumentApi.Adapters;

namespace Kmrl.DocumentApi.Tests.Processing;

/// <summary>Finding ink no recognised line covers (a line tesseract segmented and returned empty), on numbers alone.</summary>
public sealed class InkRowsTests
{
    [Fact]
    public void The_row_profile_is_read_from_imagemagicks_plain_pgm_as_shares_of_dark_pixels()
    {
        var rows = InkRows.ParsePlainPgm("P2\n1 4\n65535\n0 \n65535 \n6553 \n0 \n");

        Assert.Equal([0, 1, 6553 / 65535.0, 0], rows);
    }

    [Fact]
    public void Output_that_is_not_a_plain_pgm_gives_no_rows()
    {
        Assert.Empty(InkRows.ParsePlainPgm("convert: no images defined"));
    }

    [Fact]
    public void A_line_of_ink_between_two_read_lines_is_unread_and_the_read_ones_are_not()
    {
        var ink = new double[300];
        Array.Fill(ink, 0.1, 10, 60);   // line 1, read
        Array.Fill(ink, 0.1, 110, 60);  // line 2, segmented but returned empty
        Array.Fill(ink, 0.1, 210, 60);  // line 3, read
        OcrLine[] lines = [new("one", 5, 8, 500, 64, 95), new("three", 5, 208, 500, 64, 95)];

        var unread = Assert.Single(InkRows.Unread(ink, lines, minHeight: 20));

        Assert.Equal(new RowRun(110, 170), unread);
        Assert.Equal("2000x84+0+98", unread.CropGeometry(2000, 12));
    }

    [Fact]
    public void A_rule_or_a_speck_is_too_short_to_be_a_line_and_faint_rows_are_not_ink()
    {
        var ink = new double[200];
        Array.Fill(ink, 0.5, 50, 3);      // a horizontal rule
        Array.Fill(ink, 0.001, 100, 60);  // scanner noise under the ink share

        Assert.Empty(InkRows.Unread(ink, [], minHeight: 20));
    }

    [Fact]
    public void Small_gaps_inside_a_line_do_not_split_it()
    {
        var ink = new double[200];
        Array.Fill(ink, 0.1, 40, 12);  // vowel signs above
        Array.Fill(ink, 0.1, 56, 30);  // the letters, four rows lower

        Assert.Equal([new RowRun(40, 86)], InkRows.Unread(ink, [], minHeight: 20));
    }

    [Fact]
    public void The_page_size_comes_from_the_tsv_page_row()
    {
        string[] tsv = ["level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext", "1\t1\t0\t0\t0\t0\t0\t0\t2000\t900\t-1\t"];

        Assert.Equal((2000, 900), OcrLines.PageSize(tsv));
        Assert.Null(OcrLines.PageSize(tsv[..1]));
    }
}
