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

    private static Gen<BodyPart> Parts(int depth) => depth <= 0
        ? Leaf
        : Gen.Frequency(
            (3, Leaf),
            (2, Gen.Select(Gen.OneOf("mixed", "alternative", "related", "signed"), Gen.Int[0, 4].SelectMany(n => Parts(depth - 1).Array[n]),
                (subtype, children) =>
                {
                    var multipart = new BodyPartMultipart { ContentType = new ContentType("multipart", subtype) };
                    foreach (var child in children) multipart.BodyParts.Add(child);
                    return (BodyPart)multipart;
                })),
            (1, Gen.Select(Parts(depth - 1), Names, (body, name) => (BodyPart)new BodyPartMessage
            {
                ContentType = new ContentType("message", "rfc822"),
                Body = body,
                ContentDisposition = name.Length > 0 ? Disposition("attachment", name) : null,
                Envelope = new Envelope(),
            })));

    private static readonly Gen<BodyPart> Leaf = Gen.Select(LeafTypes, Dispositions, Names, Gen.Bool, (type, disposition, name, nameOnType) =>
    {
        var contentType = Type(type.Type, type.Subtype);
        if (nameOnType && name.Length > 0) contentType.Name = name;
        BodyPartBasic part = type.Type == "text" ? new BodyPartText() : new BodyPartBasic();
        part.ContentType = contentType;
        part.ContentDisposition = disposition is null ? null : Disposition(disposition, nameOnType ? "" : name);
        return (BodyPart)part;
    });

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

    /// <summary>Part specifiers as MailKit's parser gives them: a multipart's children number on from its path, a message's body keeps it.</summary>
    private static void Number(BodyPart part, string path)
    {
        part.PartSpecifier = path;
        switch (part)
        {
            case BodyPartMultipart multipart:
                var prefix = path.Length > 0 ? path + "." : string.Empty;
                for (var i = 0; i < multipart.BodyParts.Count; i++) Number(multipart.BodyParts[i], prefix + (i + 1));
                break;
            case BodyPartMessage { Body: { } body }:
                Number(body, path);
                break;
        }
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
            Number(root, string.Empty);
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
                Assert.DoesNotContain("signature", document.Part.ContentType.MimeType, StringComparison.OrdinalIgnoreCase);
            }
            Assert.Equal(found.Count, found.Select(document => document.Section).Distinct().Count());
        }, time: Seconds, threads: 1, print: root => root.ToString());
    }

    [Fact]
    public void A_structure_parsed_from_text_is_answered_like_the_one_it_was_written_from()
    {
        Parts(4).Sample(root =>
        {
            Number(root, string.Empty);
            if (!BodyPart.TryParse(root.ToString(), out var parsed) || parsed is null) return;

            var expected = DocumentPartFinder.Find(root).Select(document => (document.Section, document.FileName, document.Kind));
            var actual = DocumentPartFinder.Find(parsed).Select(document => (document.Section, document.FileName, document.Kind));

            Assert.Equal(expected, actual);
        }, time: Seconds, threads: 1, print: root => root.ToString());
    }
}
