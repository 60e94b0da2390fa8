using CsCheck;
using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Processing;

namespace Kmrl.DocumentApi.Tests.Fuzzing;

/// <summary>
/// Property-based fuzzing of the parsers document-api owns, over valid files with random bytes changed and cut
/// short, and over random bytes: whatever the input, each answers (a result, a named rejection, null) and never
/// throws. Two seconds per parser by default; <c>CsCheck_Time=600</c> (seconds) runs longer, <c>CsCheck_Seed</c>
/// replays a failure CsCheck printed. Findings and their regression tests: the document-api README.
/// </summary>
public sealed class ParserFuzzTests
{
    private static int Seconds => Check.Time > 0 ? Check.Time : 2;

    private static readonly byte[][] Seeds =
    [
        TestCorpus.TextPdf("Fuzz seed page one", "page two"),
        TestCorpus.Docx("Fuzz seed paragraph"),
        TestCorpus.Xlsx("Sheet1", ["a", "b"]),
        TestCorpus.Pptx("Fuzz seed slide"),
        TestCorpus.Eml("ops@kochimetro.org", "Fuzz seed", "Body"),
        HostileFiles.HugePng(64, 64),
        TestCorpus.PasswordProtectedOffice(),
        "Plain text seed\nsecond line\n"u8.ToArray(),
        [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x4A, 0x46, 0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x0F, 0xA0, 0xEA, 0x60, 0x01, 0x01, 0x11, 0x00],
        [0x49, 0x49, 0x2A, 0x00, 0x08, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00],
    ];

    /// <summary>A seed with up to 32 bytes overwritten at random places, and sometimes cut short; or random bytes.</summary>
    private static readonly Gen<byte[]> Inputs = Gen.Frequency(
        (4, Gen.Select(Gen.Int[0, Seeds.Length - 1], Gen.Select(Gen.Int.Positive, Gen.Byte).Array[0, 32], Gen.Int[0, 4], (seed, changes, cut) =>
        {
            var bytes = (byte[])Seeds[seed].Clone();
            foreach (var (at, value) in changes) bytes[at % bytes.Length] = value;
            return cut == 0 ? bytes[..(changes.Length == 0 ? bytes.Length : changes[0].Item1 % bytes.Length)] : bytes;
        })),
        (1, Gen.Byte.Array[0, 4096]));

    [Fact]
    public void The_content_sniffer_answers_every_input_with_a_validation_result()
    {
        var sniffer = new ContentSniffer(new DocumentProcessingOptions());
        Inputs.Sample(bytes =>
        {
            using var stream = new MemoryStream(bytes);
            var result = sniffer.Validate(stream, "application/octet-stream", "fuzz.bin");
            Assert.True(result.Accepted || result.Reason is { Length: > 0 });
        }, time: Seconds, threads: 1);
    }

    [Fact]
    public void The_image_header_reader_answers_every_input_with_a_size_or_null()
    {
        Inputs.Sample(bytes =>
        {
            var size = ImageDimensions.Read(new MemoryStream(bytes));
            Assert.True(size is null || (size.Value.Width >= 0 && size.Value.Height >= 0));
        }, time: Seconds, threads: 1);
    }

    [Fact]
    public void Html_to_text_answers_every_tag_soup_without_growing_it()
    {
        var soup = Gen.OneOf("<", ">", "<script>", "</script", "<style>", "</style>", "&amp;", "&#", "<>", "text", " ", "<p>", "</").Array[0, 400]
            .Select(parts => string.Concat(parts));
        soup.Sample(html =>
        {
            var text = TextExtractor.HtmlToText(html);
            Assert.NotNull(text);
            Assert.True(text.Length <= html.Length + (html.Length / 2), $"{text.Length} from {html.Length}");
        }, time: Seconds, threads: 1);
    }
}
