using Kmrl.DocumentApi.Model;

namespace Kmrl.DocumentApi.Ui;

/// <summary>One fact about an arrival in plain words: its label (a UiText key) and value, and a link where the value is one.</summary>
public sealed record ArrivalFact(string Label, string Value, Uri? Link);

/// <summary>
/// What a person asks of an arrival, from the metadata each connector records: the mailbox and sender of a mail, the
/// SharePoint library and path, the Maximo work order, the WhatsApp number. The keys are the connectors' own
/// (EmailMetadataKeys, SharePointDriveSource.Metadata, MaximoMetadata, WhatsAppMediaSource.Metadata); every other
/// key stays available under "all details".
/// </summary>
public static class ArrivalDetails
{
    private static readonly (string Key, string Label)[] Known =
    [
        ("mailbox", "Mailbox"), ("folder", "Folder"), ("from", "Sender"), ("subject", "Subject"),
        ("library", "Library"), ("path", "Path"), ("web_url", "Open at the source"),
        ("maximo.wonum", "Work order"), ("maximo.assetnum", "Asset"), ("maximo.siteid", "Site"), ("maximo.export.path", "Path"),
        ("wa_id", "WhatsApp number"), ("profile_name", "Sender name"), ("caption", "Caption"),
    ];

    private static readonly HashSet<string> KnownKeys = Known.Select(k => k.Key).ToHashSet(StringComparer.Ordinal);

    public static IReadOnlyList<ArrivalFact> Facts(Provenance arrival) =>
        Known.Where(k => arrival.Metadata.TryGetValue(k.Key, out var value) && !string.IsNullOrWhiteSpace(value))
            .Select(k => new ArrivalFact(k.Label, arrival.Metadata[k.Key], k.Key == "web_url" ? SafeLink(arrival.Metadata[k.Key]) : null))
            .ToList();

    /// <summary>The metadata not shown as a fact, by key.</summary>
    public static IEnumerable<KeyValuePair<string, string>> Others(Provenance arrival) =>
        arrival.Metadata.Where(m => !KnownKeys.Contains(m.Key)).OrderBy(m => m.Key, StringComparer.Ordinal);

    // A source's address is linked only over https: a javascript: or data: value is shown, never followed.
    private static Uri? SafeLink(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps ? uri : null;
}
