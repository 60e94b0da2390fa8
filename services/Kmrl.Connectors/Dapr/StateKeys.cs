using System.Text.RegularExpressions;
using Kmrl.Contracts;
using Kmrl.ServiceDefaults;

namespace Kmrl.Connectors.Dapr;

/// <summary>
/// State and lock keys of the host. Source names and ids are hashed into the key so any character they hold is
/// safe ('||' is Dapr's own key separator) and the length stays bounded.
/// </summary>
internal static partial class StateKeys
{
    /// <summary>
    /// Lists every item writer touches (an inbox's pending ids, the dead letters) are split into this many keys by the
    /// item's hash: as one key, a webhook burst rewrites it on every item and the writers keep losing the ETag race
    /// (the catalog's day index taught this, see StateStoreCatalog).
    /// </summary>
    public const int IndexShards = 16;

    public static string Checkpoint(string connector, string source) => $"connector-{connector}-checkpoint-{Hash(source)}";

    public static string Rejected(string connector, string source, string sourceId) =>
        $"connector-{connector}-rejected-{Hash(source)}-{Hash(sourceId)}";

    /// <summary>The URL-safe id of a dead letter: stable per source and source id, so a second dead-lettering overwrites.</summary>
    public static string DeadLetterId(string source, string sourceId) => $"{Hash(source)}-{Hash(sourceId)}";

    public static bool IsDeadLetterId(string id) => DeadLetterIdPattern().IsMatch(id);

    public static string DeadLetter(string connector, string source, string sourceId) => DeadLetterById(connector, DeadLetterId(source, sourceId));

    public static string DeadLetterById(string connector, string id) => $"connector-{connector}-deadletter-{id}";

    public static string DeadLetterIndex(string connector, int shard) => $"connector-{connector}-deadletters-{shard:x2}";

    public static string InboxItem(string connector, string source, string itemId) => $"connector-{connector}-inbox-{Hash(source)}-{Hash(itemId)}";

    public static string InboxIndex(string connector, string source, int shard) => $"connector-{connector}-inbox-{Hash(source)}-pending-{shard:x2}";

    /// <summary>The index shard of an item: the first hex digit of its hash, stable across processes.</summary>
    public static int ShardOf(string hashedId) => Convert.ToInt32(hashedId[..1], 16) % IndexShards;

    public static string SyncLock(string connector, string source) => $"connector-{connector}-sync-{Hash(source)}";

    public static string Hash(string value) => StateKeyHash.Of(value);

    [GeneratedRegex("^[0-9a-f]{32}-[0-9a-f]{32}$", RegexOptions.None, RegexBudget.MatchTimeoutMilliseconds)]
    private static partial Regex DeadLetterIdPattern();
}
