using System.Buffers.Binary;
using Kmrl.DocumentApi.Adapters;
using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Ports;
using Kmrl.DocumentApi.Processing;
using Kmrl.DocumentApi.Tests.Activities;
using Microsoft.Extensions.Options;

namespace Kmrl.DocumentApi.Tests.Isolation;

/// <summary>
/// Issue 18: a 333-byte PDF made pdftoppm take 1.77 GB and tesseract 2.67 GB, a 150 KB PNG 938 MB. The pixels are
/// counted from the header (image) or pdfinfo's page size (PDF) before anything is decoded or rendered.
/// </summary>
public sealed class PixelLimitTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("kmrl-pixels-test-");

    public void Dispose() => _folder.Delete(recursive: true);

    private string File(string name, byte[] content)
    {
        var path = Path.Combine(_folder.FullName, name);
        System.IO.File.WriteAllBytes(path, content);
        return path;
    }

    private static PixelLimitedOcrEngine Limited(IOcrEngine inner, OcrOptions? options = null) =>
        new(inner, Options.Create(options ?? new OcrOptions()), Options.Create(new PdfToolOptions()));

    [Fact]
    public async Task A_small_png_declaring_900_million_pixels_is_image_too_large_without_being_decoded()
    {
        var png = HostileFiles.HugePng(30_000, 30_000);
        var path = File("bomb.png", png);
        var inner = new ScriptedOcrEngine("never");

        var refused = await Assert.ThrowsAsync<DocumentUnreadableException>(() => Limited(inner).RecogniseImageAsync(path, CancellationToken.None));

        Assert.True(png.Length < 200_000, $"{png.Length} bytes");
        Assert.Equal(RejectionReasons.ImageTooLarge, refused.Reason);
        Assert.Contains("30000 × 30000", refused.Detail, StringComparison.Ordinal);
        Assert.Empty(inner.Calls);
    }

    [Fact]
    public async Task The_pixel_bomb_png_uploaded_as_an_image_is_rejected_as_image_too_large()
    {
        var path = File("bomb.png", HostileFiles.HugePng(30_000, 30_000));
        var extractor = ExtractTextActivityTests.Extractor(Limited(ExtractTextActivityTests.RealOcr()), new DocumentProcessingOptions());

        var refused = await Assert.ThrowsAsync<DocumentUnreadableException>(() => extractor.ExtractAsync(path, DocumentKind.Png, CancellationToken.None));

        Assert.Equal(RejectionReasons.ImageTooLarge, refused.Reason);
    }

    [Fact]
    public async Task An_ordinary_scan_passes_the_pixel_check_and_is_read()
    {
        var path = File("scan.png", await TestCorpus.RenderPngAsync("Pixel check passed"));
        var inner = new ScriptedOcrEngine("read");

        var text = await Limited(inner).RecogniseImageAsync(path, CancellationToken.None);

        Assert.Equal("read", text);
        Assert.Equal(["image"], inner.Calls);
    }

    [Fact]
    public async Task A_tiny_pdf_with_a_200_inch_page_records_the_page_failed_without_rendering_it()
    {
        var pdf = HostileFiles.HugePagePdf();
        var path = File("huge-page.pdf", pdf);
        var inner = new ScriptedOcrEngine("never");
        var extractor = ExtractTextActivityTests.Extractor(Limited(inner), new DocumentProcessingOptions());

        var extracted = await extractor.ExtractAsync(path, DocumentKind.Pdf, CancellationToken.None);

        Assert.True(pdf.Length < 400, $"{pdf.Length} bytes");
        Assert.Equal([1], extracted.FailedPages);
        Assert.Empty(inner.Calls);
    }

    [Fact]
    public async Task An_a4_page_at_300_dpi_is_rendered()
    {
        var path = File("a4.pdf", HostileFiles.HugePagePdf(points: 842));
        var inner = new ScriptedOcrEngine("page text long enough to count");

        await Limited(inner).RecognisePdfPageAsync(path, 1, CancellationToken.None);

        Assert.Equal(["pdf-page-1"], inner.Calls);
    }

    [Fact]
    public void A_png_header_gives_its_dimensions()
    {
        Assert.Equal(new ImageDimensions.Size(30_000, 20), ImageDimensions.Read(new MemoryStream(HostileFiles.HugePng(30_000, 20))));
    }

    [Fact]
    public void A_jpeg_frame_header_gives_its_dimensions_after_the_segments_before_it()
    {
        // SOI, an APP0 segment, then SOF0: precision 8, height 4000, width 60000.
        byte[] jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x4A, 0x46, 0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x0F, 0xA0, 0xEA, 0x60, 0x01, 0x01, 0x11, 0x00];

        Assert.Equal(new ImageDimensions.Size(60_000, 4_000), ImageDimensions.Read(new MemoryStream(jpeg)));
    }

    [Fact]
    public async Task A_multi_page_tiff_counts_its_largest_page()
    {
        var scan = await TestCorpus.RenderScanTiffAsync("Tiff header", "Noto Sans");
        var size = ImageDimensions.Read(new MemoryStream(scan));

        Assert.NotNull(size);
        Assert.True(size.Value.Width > 100 && size.Value.Height > 100, size.ToString());
        Assert.Equal(new ImageDimensions.Size(50_000, 40_000), ImageDimensions.Read(new MemoryStream(TwoPageTiff((10, 10), (50_000, 40_000)))));
    }

    /// <summary>A little-endian TIFF of two IFDs holding only ImageWidth and ImageLength (SHORT).</summary>
    private static byte[] TwoPageTiff((ushort Width, ushort Height) small, (ushort Width, ushort Height) large)
    {
        var tiff = new byte[8 + (2 * 30)];
        "II"u8.CopyTo(tiff);
        BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(2), 42);
        BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(4), 8);
        void Ifd(int at, (ushort Width, ushort Height) page, uint next)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(at), 2);
            foreach (var (index, tag, value) in new[] { (0, (ushort)256, page.Width), (1, (ushort)257, page.Height) })
            {
                var entry = at + 2 + (12 * index);
                BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(entry), tag);
                BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(entry + 2), 3);
                BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(entry + 4), 1);
                BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(entry + 8), value);
            }
            BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(at + 26), next);
        }
        Ifd(8, small, 38);
        Ifd(38, large, 0);
        return tiff;
    }
}
