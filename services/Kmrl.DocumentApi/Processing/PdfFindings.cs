using UglyToad.PdfPig;
using UglyToad.PdfPig.AcroForms.Fields;
using UglyToad.PdfPig.Tokens;

namespace Kmrl.DocumentApi.Processing;

/// <summary>Filled AcroForm values (by full field name), XFA form values (by path) and the kinds of active content a PDF carries.</summary>
/// <param name="FieldPages">The page each filled field sits on, where the form says.</param>
public sealed record PdfFindings(IReadOnlyDictionary<string, string> FormFields, IReadOnlyList<string> ActiveContent, IReadOnlyDictionary<string, int> FieldPages)
{
    public static PdfFindings None { get; } = new(new Dictionary<string, string>(), [], new Dictionary<string, int>());

    public const string JavaScript = "javascript";
    public const string Launch = "launch";
    public const string SubmitForm = "submit-form";
    public const string ImportData = "import-data";
    public const string EmbeddedFile = "embedded-file";
    public const string Xfa = "xfa";

    /// <summary>
    /// Reads both from an open document. Active content is looked for where readers run it: the catalog's open
    /// action, additional actions (catalog, pages, annotations), the JavaScript and embedded-file name trees, link
    /// and widget actions and their /Next chains. It is only named, never run.
    /// </summary>
    public static PdfFindings Read(PdfDocument pdf)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        var fieldPages = new Dictionary<string, int>(StringComparer.Ordinal);
        var active = new SortedSet<string>(StringComparer.Ordinal);
        var seen = new HashSet<DictionaryToken>(ReferenceEqualityComparer.Instance);

        if (pdf.TryGetForm(out var form))
        {
            foreach (var field in form.Fields) Collect(field, null, fields, fieldPages);
            if (form.Dictionary.Data.ContainsKey("XFA"))
            {
                active.Add(Xfa);
                // An XFA form keeps its values in its datasets; an AcroForm field of the same name has said it already.
                foreach (var (name, value) in XfaDatasets.Read(pdf, form.Dictionary)) fields.TryAdd(name, value);
            }
        }

        var catalog = pdf.Structure.Catalog.CatalogDictionary;
        Actions(pdf, Get(pdf, catalog, "OpenAction"), active, seen, 0);
        Additional(pdf, Get(pdf, catalog, "AA"), active, seen);
        if (Get(pdf, catalog, "Names") is DictionaryToken names)
        {
            if (names.Data.ContainsKey("JavaScript")) active.Add(JavaScript);
            if (names.Data.ContainsKey("EmbeddedFiles")) active.Add(EmbeddedFile);
        }
        foreach (var page in pdf.GetPages())
        {
            Additional(pdf, Get(pdf, page.Dictionary, "AA"), active, seen);
            foreach (var annotation in page.GetAnnotations())
            {
                Actions(pdf, Get(pdf, annotation.AnnotationDictionary, "A"), active, seen, 0);
                Additional(pdf, Get(pdf, annotation.AnnotationDictionary, "AA"), active, seen);
            }
        }
        return new PdfFindings(fields, [.. active], fieldPages);
    }

    private static void Collect(AcroFieldBase field, string? parent, Dictionary<string, string> fields, Dictionary<string, int> fieldPages)
    {
        var name = field.Information.PartialName is { Length: > 0 } partial ? (parent is null ? partial : parent + "." + partial) : parent ?? "field";
        string? value = field switch
        {
            AcroTextField text => text.Value,
            AcroCheckboxField box => box.IsChecked ? box.CurrentValue?.Data ?? "Yes" : null,
            AcroComboBoxField combo => Join(combo.SelectedOptions),
            AcroListBoxField list => Join(list.SelectedOptions),
            AcroRadioButtonsField radios => radios.Dictionary.Data.TryGetValue("V", out var chosen) && chosen is NameToken { Data: not "Off" } on ? on.Data : null,
            _ => null,
        };
        if (!string.IsNullOrWhiteSpace(value))
        {
            fields[name] = value.Trim();
            if (field.PageNumber is { } page) fieldPages[name] = page;
        }
        if (field is AcroNonTerminalField group)
        {
            foreach (var child in group.Children) Collect(child, name, fields, fieldPages);
        }
    }

    private static string? Join(IEnumerable<string?> options)
    {
        var chosen = options.Where(o => !string.IsNullOrWhiteSpace(o)).ToList();
        return chosen.Count == 0 ? null : string.Join(", ", chosen);
    }

    private static void Additional(PdfDocument pdf, IToken? additional, SortedSet<string> active, HashSet<DictionaryToken> seen)
    {
        if (additional is not DictionaryToken triggers) return;
        foreach (var key in triggers.Data.Keys) Actions(pdf, Get(pdf, triggers, key), active, seen, 0);
    }

    private static void Actions(PdfDocument pdf, IToken? token, SortedSet<string> active, HashSet<DictionaryToken> seen, int depth)
    {
        // A /Next chain may loop or run deep in a hostile file: each action once, and not past 32 links.
        if (depth > 32) return;
        if (token is ArrayToken chain)
        {
            foreach (var item in chain.Data) Actions(pdf, Resolve(pdf, item), active, seen, depth + 1);
            return;
        }
        if (token is not DictionaryToken action || !seen.Add(action)) return;
        if (Get(pdf, action, "S") is NameToken kind)
        {
            switch (kind.Data)
            {
                case "JavaScript": active.Add(JavaScript); break;
                case "Launch": active.Add(Launch); break;
                case "SubmitForm": active.Add(SubmitForm); break;
                case "ImportData": active.Add(ImportData); break;
            }
        }
        Actions(pdf, Get(pdf, action, "Next"), active, seen, depth + 1);
    }

    private static IToken? Get(PdfDocument pdf, DictionaryToken dictionary, string key) =>
        dictionary.Data.TryGetValue(key, out var token) ? Resolve(pdf, token) : null;

    private static IToken? Resolve(PdfDocument pdf, IToken token) =>
        token is IndirectReferenceToken reference ? pdf.Structure.GetObject(reference.Data)?.Data : token;
}
