using System.Text.Json;
using System.Text.Json.Serialization;
using Kmrl.ServiceDefaults;
using Microsoft.Extensions.Logging;

namespace Kmrl.Connectors;

/// <summary>
/// Typed checkpoints: a source keeps its own record (a UID and UIDVALIDITY, a delta link) and the host stores it as
/// JSON in the shared shape. One policy for a value that cannot be read back (an older layout, a hand edit): it is
/// logged and the source starts over, as if it had no checkpoint, so a bad value never wedges a source.
/// </summary>
public static partial class Checkpoints
{
    // The shared JSON shape, strict on reading: a record missing one of its constructor's values, or holding null
    // where the record says it cannot be, is unreadable (start over) rather than a half-read state that fails later.
    // Every value is written, nulls too, so a nullable field without a default reads back.
    private static readonly JsonSerializerOptions Json = new(KmrlJson.Options)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    };

    /// <summary>A checkpoint marker holding <paramref name="value"/>; <paramref name="afterCommit"/> runs once it is stored.</summary>
    public static SourceCheckpoint Of<T>(T value, Func<CancellationToken, Task>? afterCommit = null) where T : class =>
        new(JsonSerializer.Serialize(value, Json), afterCommit);

    /// <summary>
    /// The record in <paramref name="checkpoint"/>, or null when there is none or it cannot be read (logged on
    /// <paramref name="logger"/>): start over. Property names are matched case-insensitively, so records written with
    /// other casing still read; a record missing a value its constructor needs does not.
    /// </summary>
    public static T? Read<T>(string? checkpoint, ILogger logger) where T : class
    {
        ArgumentNullException.ThrowIfNull(logger);
        if (string.IsNullOrWhiteSpace(checkpoint))
        {
            return null;
        }
        try
        {
            if (JsonSerializer.Deserialize<T>(checkpoint, Json) is { } value)
            {
                return value;
            }
            LogUnreadable(logger, null, typeof(T).Name, checkpoint.Length);
        }
        catch (Exception exception) when (exception is JsonException or NotSupportedException)
        {
            LogUnreadable(logger, exception, typeof(T).Name, checkpoint.Length);
        }
        return null;
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "The stored checkpoint ({Length} characters) is not a readable {CheckpointType}; the source starts over from the beginning")]
    private static partial void LogUnreadable(ILogger logger, Exception? exception, string checkpointType, int length);
}
