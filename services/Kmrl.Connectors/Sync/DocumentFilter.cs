using Kmrl.Connectors.Hosting;
using Microsoft.Extensions.Options;

namespace Kmrl.Connectors.Sync;

/// <summary>Decides from what the source declares whether a document is handed on at all.</summary>
internal sealed class DocumentFilter(IOptions<ConnectorHostOptions> options)
{
    private static readonly HashSet<string> GenericContentTypes =
        new(["application/octet-stream", "binary/octet-stream", "application/binary", "application/unknown"], StringComparer.OrdinalIgnoreCase);

    private static readonly Dictionary<string, string> ContentTypeByExtension = new(StringComparer.OrdinalIgnoreCase)
    {
        [".pdf"] = "application/pdf",
        [".docx"] = "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        [".doc"] = "application/msword",
        [".xlsx"] = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        [".xls"] = "application/vnd.ms-excel",
        [".pptx"] = "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        [".ppt"] = "application/vnd.ms-powerpoint",
        [".jpg"] = "image/jpeg",
        [".jpeg"] = "image/jpeg",
        [".png"] = "image/png",
        [".tif"] = "image/tiff",
        [".tiff"] = "image/tiff",
        [".txt"] = "text/plain",
        [".csv"] = "text/csv",
        [".eml"] = "message/rfc822",
        [".msg"] = "application/vnd.ms-outlook",
        [".rtf"] = "application/rtf",
        [".odt"] = "application/vnd.oasis.opendocument.text",
        [".ods"] = "application/vnd.oasis.opendocument.spreadsheet",
        [".odp"] = "application/vnd.oasis.opendocument.presentation",
        [".xml"] = "application/xml",
    };

    private readonly Dictionary<string, Rules> _rules = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>Null when the document passes, else why it is rejected.</summary>
    public string? Check(string sourceName, SourceDocument document)
    {
        var rules = RulesFor(sourceName);
        var extension = ExtensionOf(document);
        if (extension is null)
        {
            return $"File '{document.FileName}' has no extension and its content type does not name one.";
        }
        if (!rules.Extensions.Contains(extension))
        {
            return $"Extension '{extension}' is not allowed.";
        }
        var declared = Normalise(document.DeclaredContentType);
        if (declared is not null && !GenericContentTypes.Contains(declared) && !rules.ContentTypes.Contains(declared))
        {
            return $"Content type '{declared}' is not allowed.";
        }
        if (document.Size is { } size && size > rules.MaxSizeBytes)
        {
            return TooLarge(size, rules.MaxSizeBytes);
        }
        return document.Size == 0 ? Empty : null;
    }

    /// <summary>A document with no bytes: nothing to catalogue, so it is recorded as rejected rather than published.</summary>
    public const string Empty = "empty-file: the document has no bytes.";

    public long MaxSizeBytes(string sourceName) => RulesFor(sourceName).MaxSizeBytes;

    public static string TooLarge(long size, long max) => $"Size {size} bytes is above the limit of {max} bytes.";

    /// <summary>The content type events carry: the declared one unless it is generic, else one from the extension.</summary>
    public static string ContentTypeOf(SourceDocument document)
    {
        var declared = Normalise(document.DeclaredContentType);
        if (declared is not null && !GenericContentTypes.Contains(declared))
        {
            return declared;
        }
        var extension = Path.GetExtension(document.FileName);
        return ContentTypeByExtension.TryGetValue(extension, out var type) ? type : "application/octet-stream";
    }

    private static string? ExtensionOf(SourceDocument document)
    {
        var extension = Path.GetExtension(document.FileName);
        if (!string.IsNullOrEmpty(extension) && extension.Length > 1)
        {
            return extension.ToLowerInvariant();
        }
        var declared = Normalise(document.DeclaredContentType);
        return declared is null
            ? null
            : ContentTypeByExtension.FirstOrDefault(pair => string.Equals(pair.Value, declared, StringComparison.OrdinalIgnoreCase)).Key;
    }

    private static string? Normalise(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return null;
        }
        var semicolon = contentType.IndexOf(';', StringComparison.Ordinal);
        return (semicolon >= 0 ? contentType[..semicolon] : contentType).Trim().ToLowerInvariant();
    }

    private Rules RulesFor(string sourceName)
    {
        lock (_gate)
        {
            if (!_rules.TryGetValue(sourceName, out var rules))
            {
                var filters = options.Value.FiltersFor(sourceName);
                var extensions = (filters.AllowedExtensions ?? [.. DocumentFilterOptions.DefaultExtensions])
                    .Concat(filters.AdditionalExtensions)
                    .Select(e => "." + e.Trim().TrimStart('.').ToLowerInvariant());
                var types = (filters.AllowedContentTypes ?? [.. DocumentFilterOptions.DefaultContentTypes])
                    .Concat(filters.AdditionalContentTypes)
                    .Select(t => t.Trim().ToLowerInvariant());
                rules = new Rules(
                    new HashSet<string>(extensions, StringComparer.OrdinalIgnoreCase),
                    new HashSet<string>(types, StringComparer.OrdinalIgnoreCase),
                    filters.MaxSizeBytes);
                _rules[sourceName] = rules;
            }
            return rules;
        }
    }

    private sealed record Rules(HashSet<string> Extensions, HashSet<string> ContentTypes, long MaxSizeBytes);
}
