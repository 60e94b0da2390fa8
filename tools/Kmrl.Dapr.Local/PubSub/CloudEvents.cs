using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kmrl.Dapr.Testing.PubSub;

/// <summary>Wraps published data in a CloudEvents 1.0 envelope the way daprd does before it enters the broker.</summary>
public static class CloudEvents
{
    public const string ContentType = "application/cloudevents+json";

    public static byte[] Wrap(string sourceAppId, string pubSubName, string topic, byte[] data, string? contentType, TimeProvider time)
    {
        contentType = string.IsNullOrEmpty(contentType) ? "application/json" : contentType;
        if (contentType.StartsWith(ContentType, StringComparison.Ordinal))
        {
            // Already an envelope: daprd keeps it and fills in what is missing.
            var existing = JsonNode.Parse(data)!.AsObject();
            existing["topic"] ??= topic;
            existing["pubsubname"] ??= pubSubName;
            existing["id"] ??= Guid.NewGuid().ToString();
            existing["specversion"] ??= "1.0";
            return Encoding.UTF8.GetBytes(existing.ToJsonString());
        }

        var envelope = new JsonObject
        {
            ["specversion"] = "1.0",
            ["id"] = Guid.NewGuid().ToString(),
            ["source"] = sourceAppId,
            ["type"] = "com.dapr.event.sent",
            ["datacontenttype"] = contentType,
            ["topic"] = topic,
            ["pubsubname"] = pubSubName,
            ["time"] = time.GetUtcNow().ToString("O"),
            ["traceid"] = string.Empty,
        };
        if (contentType.Contains("json", StringComparison.OrdinalIgnoreCase))
        {
            envelope["data"] = data.Length == 0 ? null : JsonNode.Parse(data);
        }
        else if (contentType.StartsWith("text/", StringComparison.OrdinalIgnoreCase))
        {
            envelope["data"] = Encoding.UTF8.GetString(data);
        }
        else
        {
            envelope["data_base64"] = Convert.ToBase64String(data);
        }
        return Encoding.UTF8.GetBytes(envelope.ToJsonString());
    }

    public static string? Type(JsonElement envelope) =>
        envelope.TryGetProperty("type", out var type) ? type.GetString() : null;
}
