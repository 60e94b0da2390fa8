using System.Text.Json;

namespace Kmrl.Connectors.Email.Imap;

/// <summary>Where a folder was read up to: the UIDs only mean something together with the folder's UIDVALIDITY.</summary>
public sealed record ImapCheckpoint(uint UidValidity, uint LastUid)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string Serialize() => JsonSerializer.Serialize(this, Json);

    /// <summary>Parses a stored checkpoint; null when there is none or it cannot be read (a rescan is safe downstream).</summary>
    public static ImapCheckpoint? TryParse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize<ImapCheckpoint>(value, Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
