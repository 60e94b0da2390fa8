using System.Text.RegularExpressions;
using CsCheck;
using Kmrl.Connectors.Email.Imap;
using MailKit;
using MimeKit;

namespace Kmrl.Connectors.Email.Tests.Fuzzing;

/// <summary>
/// Property-based fuzzing of the MIME part finder (issue 18) over generated BODYSTRUCTUREs: multiparts, forwarded
/// messages and leaves nested up to five deep, any content type (one without a subtype too), any disposition, and
/// names made of the pieces a hostile sender would use (paths, dots, blanks). Whatever the structure, the finder
/// answers, every section it names is an IMAP section, every name is one file name, and no signature is a document.
/// Two seconds by default; <c>CsCheck_Time=600</c> (seconds) runs longer, <c>CsCheck_Seed</c> replays a failure.
/// </summary>
public sealed partial class PartFinderFuzzTests
{
    private static int Seconds => Check.Time > 0 ? Check.Time : 2;

    private static readonly Gen<string> Names = Gen.OneOf(
            "report.pdf", "scan", ".pdf", "../", "..\\", "C:\\scans\\", "/", ".", "..", " ", "", "a", "ഫയൽ.pdf", "\t", "winmail.dat", "smime.p7m")
        .Array[0, 4].Select(pieces => string.Concat(pieces));

    private static readonly Gen<(string Type, string Subtype)> LeafTypes = Gen.OneOf(
        ("application", "pdf"), ("application", "octet-stream"), ("application", "ms-tnef"), ("application", "pkcs7-mime"),
        ("application", "pkcs7-signature"), ("application", "pgp-signature"), ("text", "plain"), ("text", "html"),
        ("image", "png"), ("application-x-gzip", ""), ("application", ""));

    private static readonly Gen<string?> Dispositions = Gen.OneOf<string?>(null, "attachment", "inline", "form-data", "");

    // A structure's shape first, then its parts with the specifiers MailKit's parser gives them: a multipart's
    // children number on from its path, a forwarded message's body keeps the message's.
    private abstract record Shape;

    private sealed record LeafShape((string Type, string Subtype) ContentType, string? Disposition, string Name, bool NameOnType) : Shape;

    private sealed record MultipartShape(string Subtype, Shape[] Children) : Shape;

    private sealed record MessageShape(Shape Body, string Name) : Shape;

    private static Gen<Shape> Shapes(int depth) => depth <= 0
        ? Leaf
        : Gen.Frequency(
            (3, Leaf),
            (2, Gen.Select(Gen.OneOf("mixed", "alternative", "related", "signed"), Gen.Int[0, 4].SelectMany(n => Shapes(depth - 1).Array[n]),
                (subtype, children) => (Shape)new MultipartShape(subtype, children))),
            (1, Gen.Select(Shapes(depth - 1), Names, (body, name) => (Shape)new MessageShape(body, name))));

    private static readonly Gen<Shape> Leaf = Gen.Select(LeafTypes, Dispositions, Names, Gen.Bool,
        (type, disposition, name, nameOnType) => (Shape)new LeafShape(type, disposition, name, nameOnType));

    private static Gen<BodyPart> Parts(int depth) => Shapes(depth).Select(shape => Build(shape, string.Empty));

    private static BodyPart Build(Shape shape, string path)
    {
        switch (shape)
        {
            case MultipartShape multi:
                var multipart = new BodyPartMultipart(new ContentType("multipart", multi.Subtype), path);
                var prefix = path.Length > 0 ? path + "." : string.Empty;
                for (var i = 0; i < multi.Children.Length; i++) multipart.BodyParts.Add(Build(multi.Children[i], prefix + (i + 1)));
                return multipart;
            case MessageShape message:
                return new BodyPartMessage(new ContentType("message", "rfc822"), path)
                {
                    Body = Build(message.Body, path),
                    ContentDisposition = message.Name.Length > 0 ? Disposition("attachment", message.Name) : null,
                    Envelope = new Envelope(),
                };
            case LeafShape leaf:
                var contentType = Type(leaf.ContentType.Type, leaf.ContentType.Subtype);
                if (leaf.NameOnType && leaf.Name.Length > 0) contentType.Name = leaf.Name;
                BodyPartBasic part = leaf.ContentType.Type == "text" ? new BodyPartText(contentType, path) : new BodyPartBasic(contentType, path);
                part.ContentDisposition = leaf.Disposition is null ? null : Disposition(leaf.Disposition, leaf.NameOnType ? "" : leaf.Name);
                return part;
            default:
                throw new InvalidOperationException("Unknown shape " + shape);
        }
    }

    private static ContentType Type(string type, string subtype)
    {
        try
        {
            return new ContentType(type, subtype);
        }
        catch (ArgumentException)
        {
            return new ContentType(type, "octet-stream");
        }
    }

    private static ContentDisposition Disposition(string value, string name)
    {
        ContentDisposition disposition;
        try
        {
            disposition = new ContentDisposition(value);
        }
        catch (ArgumentException)
        {
            disposition = new ContentDisposition();
        }
        if (name.Length > 0) disposition.FileName = name;
        return disposition;
    }

    private static IEnumerable<BodyPart> All(BodyPart part) => part switch
    {
        BodyPartMultipart multipart => [part, .. multipart.BodyParts.SelectMany(All)],
        BodyPartMessage { Body: { } body } => [part, .. All(body)],
        _ => [part],
    };

    [GeneratedRegex(@"^[1-9][0-9]*(\.[1-9][0-9]*)*$")]
    private static partial Regex Section();

    [Fact]
    public void Every_found_part_is_a_leaf_of_the_structure_at_an_imap_section_with_one_file_name()
    {
        Parts(5).Sample(root =>
        {
            var leaves = All(root).OfType<BodyPartBasic>().Where(part => part is not BodyPartMessage).ToHashSet();

            var found = DocumentPartFinder.Find(root);

            foreach (var document in found)
            {
                Assert.Contains(document.Part, leaves);
                Assert.Matches(Section(), document.Section);
                Assert.False(string.IsNullOrWhiteSpace(document.FileName), $"no name for {document.Section}");
                Assert.DoesNotContain('/', document.FileName);
                Assert.DoesNotContain('\\', document.FileName);
                Assert.NotEqual(".", document.FileName.Trim());
                Assert.NotEqual("..", document.FileName.Trim());
                // A signature is never a document nor a container, whatever its name (winmail.dat, smime.p7m): its
                // content type decides first, and only application/octet-stream is judged by its name.
                Assert.DoesNotContain("signature", document.Part.ContentType.MimeType, StringComparison.OrdinalIgnoreCase);
                var type = document.Part.ContentType;
                var generic = type.IsMimeType("application", "octet-stream") || string.IsNullOrEmpty(type.MediaSubtype);
                if (document.Kind == PartKind.Tnef) Assert.True(type.IsMimeType("application", "ms-tnef") || generic, type.MimeType);
                if (document.Kind == PartKind.SecureMime) Assert.True(type.IsMimeType("application", "pkcs7-mime") || generic, type.MimeType);
            }
            Assert.Equal(found.Count, found.Select(document => document.Section).Distinct().Count());
        }, time: Seconds, threads: 1, print: root => root.ToString());
    }

    [Theory]
    [InlineData("scans/.")]
    [InlineData("..")]
    [InlineData("C:\\scans\\..")]
    [InlineData("reports/ ")]
    public void A_name_that_is_a_folder_or_blank_after_its_last_separator_gives_the_part_a_name_of_its_own(string name)
    {
        // Found by the fuzzer: "scans/." came out as the file name ".".
        var part = new BodyPartBasic(new ContentType("application", "pdf"), "2") { ContentDisposition = Disposition("attachment", name) };
        var root = new BodyPartMultipart(new ContentType("multipart", "mixed"), string.Empty);
        root.BodyParts.Add(new BodyPartText(new ContentType("text", "plain"), "1"));
        root.BodyParts.Add(part);

        var found = Assert.Single(DocumentPartFinder.Find(root));

        Assert.Equal("part-2.pdf", found.FileName);
    }

    [Theory]
    [InlineData("winmail.dat")]
    [InlineData("smime.p7m")]
    public void A_signature_part_named_like_a_container_is_no_part_to_fetch(string name)
    {
        // multipart/signed as MimeKit writes it, the signature misnamed: it was taken for TNEF by its name and
        // handed to the TNEF reader (which MimeKit reads leniently, so the error was silent).
        var signed = new BodyPartMultipart(new ContentType("multipart", "signed"), string.Empty);
        var mixed = new BodyPartMultipart(new ContentType("multipart", "mixed"), "1");
        mixed.BodyParts.Add(new BodyPartText(new ContentType("text", "plain"), "1.1"));
        mixed.BodyParts.Add(new BodyPartBasic(new ContentType("application", "pdf"), "1.2") { ContentDisposition = Disposition("attachment", "circular.pdf") });
        signed.BodyParts.Add(mixed);
        signed.BodyParts.Add(new BodyPartBasic(new ContentType("application", "pkcs7-signature"), "2") { ContentDisposition = Disposition("attachment", name) });

        var found = Assert.Single(DocumentPartFinder.Find(signed));

        Assert.Equal(("circular.pdf", PartKind.Document), (found.FileName, found.Kind));
    }

    [Theory]
    [InlineData("application", "pdf", "winmail.dat", PartKind.Document)]
    [InlineData("application", "octet-stream", "smime.p7m", PartKind.SecureMime)]
    [InlineData("application", "octet-stream", "WINMAIL.DAT", PartKind.Tnef)]
    [InlineData("application", "ms-tnef", "roster.bin", PartKind.Tnef)]
    [InlineData("application", "pkcs7-mime", "award.bin", PartKind.SecureMime)]
    [InlineData("application", "pdf", "award.p7m", PartKind.Document)]
    public void A_parts_content_type_decides_what_it_is_and_only_octet_stream_falls_back_to_its_name(
        string type, string subtype, string name, PartKind expected)
    {
        // Before d39d738 the name won over the type: a PDF a sender named winmail.dat went to the TNEF reader, and an
        // octet-stream smime.p7m (RFC 8551 3.2.1 lets agents send it so) was fetched as an opaque document.
        var root = new BodyPartMultipart(new ContentType("multipart", "mixed"), string.Empty);
        root.BodyParts.Add(new BodyPartText(new ContentType("text", "plain"), "1"));
        root.BodyParts.Add(new BodyPartBasic(new ContentType(type, subtype), "2") { ContentDisposition = Disposition("attachment", name) });

        var found = Assert.Single(DocumentPartFinder.Find(root));

        Assert.Equal((name, "2", expected), (found.FileName, found.Section, found.Kind));
    }

    [Fact]
    public void A_structure_parsed_from_text_is_answered_like_the_one_it_was_written_from()
    {
        Parts(4).Sample(root =>
        {
            if (!BodyPart.TryParse(root.ToString(), out var parsed) || parsed is null) return;

            var expected = DocumentPartFinder.Find(root).Select(document => (document.Section, document.FileName, document.Kind));
            var actual = DocumentPartFinder.Find(parsed).Select(document => (document.Section, document.FileName, document.Kind));

            Assert.Equal(expected, actual);
        }, time: Seconds, threads: 1, print: root => root.ToString());
    }
}
