using System.Text.Json.Serialization;

namespace Kmrl.Connectors.Maximo.Rest;

/// <summary>
/// Where the REST source stands.
/// <see cref="ChangeDate"/>: the highest record change date reached (the next query asks for <c>changedate &gt;=</c> it).
/// <see cref="SeenIds"/>: doclink ids already handed on from records changed exactly at <see cref="ChangeDate"/>
/// (two records changed in the same second must both be read, and neither twice).
/// <see cref="AttachmentFloor"/>: the change date the previous complete run reached; a record that changes again
/// re-lists its old attachments, and those dated before the floor were handed on already.
/// <see cref="FloorSeenIds"/>: ids handed on that are dated exactly at the floor (a record committed later in that
/// same second can still bring new attachments with that date).
/// </summary>
public sealed record MaximoRestCheckpoint(
    [property: JsonPropertyName("changedate")] DateTimeOffset? ChangeDate,
    [property: JsonPropertyName("seen")] IReadOnlyList<string> SeenIds,
    [property: JsonPropertyName("floor")] DateTimeOffset? AttachmentFloor,
    [property: JsonPropertyName("floorSeen")] IReadOnlyList<string>? FloorSeenIds = null)
{
    /// <summary>The first run's (and an unreadable checkpoint's: <see cref="Checkpoints.Read{T}"/>) starting point.</summary>
    public static MaximoRestCheckpoint Empty { get; } = new(null, [], null);
}
