using System.Text.Json.Nodes;

namespace Kmrl.Testing.Fakes;

/// <summary>Webhook bodies in the shape of Meta's "messages" webhook reference.</summary>
public static class WhatsAppPayloads
{
    public const string PhoneNumberId = "106540352242922";
    public const string DisplayPhoneNumber = "914842000000";

    public static JsonObject Message(string wamid, string from, string type, string? mediaId = null, string? sha256 = null,
        string? fileName = null, string? caption = null, string mimeType = "application/pdf", DateTimeOffset? at = null)
    {
        var message = new JsonObject
        {
            ["from"] = from,
            ["id"] = wamid,
            ["timestamp"] = (at ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["type"] = type,
        };
        if (type == "text")
        {
            message["text"] = new JsonObject { ["body"] = "hello" };
            return message;
        }
        var media = new JsonObject { ["mime_type"] = mimeType, ["id"] = mediaId ?? "media-" + wamid };
        if (sha256 is not null) media["sha256"] = sha256;
        if (fileName is not null) media["filename"] = fileName;
        if (caption is not null) media["caption"] = caption;
        message[type] = media;
        return message;
    }

    public static JsonObject Status(string wamid, string status = "delivered") => new()
    {
        ["id"] = wamid,
        ["status"] = status,
        ["timestamp"] = "1750857384",
        ["recipient_id"] = "919800000000",
    };

    public static JsonObject Change(IEnumerable<JsonObject>? messages = null, IEnumerable<JsonObject>? statuses = null,
        params (string WaId, string Name)[] contacts)
    {
        var value = new JsonObject
        {
            ["messaging_product"] = "whatsapp",
            ["metadata"] = new JsonObject { ["display_phone_number"] = DisplayPhoneNumber, ["phone_number_id"] = PhoneNumberId },
        };
        if (contacts.Length > 0)
        {
            value["contacts"] = new JsonArray(contacts.Select(c => (JsonNode)new JsonObject
            {
                ["profile"] = new JsonObject { ["name"] = c.Name },
                ["wa_id"] = c.WaId,
            }).ToArray());
        }
        if (messages is not null) value["messages"] = new JsonArray(messages.Select(m => (JsonNode)m).ToArray());
        if (statuses is not null) value["statuses"] = new JsonArray(statuses.Select(s => (JsonNode)s).ToArray());
        return new JsonObject { ["value"] = value, ["field"] = "messages" };
    }

    public static string Body(params JsonObject[][] entries) => new JsonObject
    {
        ["object"] = "whatsapp_business_account",
        ["entry"] = new JsonArray(entries.Select((changes, i) => (JsonNode)new JsonObject
        {
            ["id"] = "WABA-" + i,
            ["changes"] = new JsonArray(changes.Select(c => (JsonNode)c).ToArray()),
        }).ToArray()),
    }.ToJsonString();
}
