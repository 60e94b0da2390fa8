using Kmrl.Contracts;

namespace Kmrl.Connectors.Dapr;

/// <summary>
/// State and lock keys of the host. Source names and ids are hashed into the key so any character they hold is
/// safe ('||' is Dapr's own key separator) and the length stays bounded.
/// </summary>
internal static class StateKeys
{
    public static string Checkpoint(string connector, string source) => $"connector-{connector}-checkpoint-{Hash(source)}";

    public static string Rejected(string connector, string source, string sourceId) =>
        $"connector-{connector}-rejected-{Hash(source)}-{Hash(sourceId)}";

    public static string DeadLetter(string connector, string source, string sourceId) =>
        $"connector-{connector}-deadletter-{Hash(source)}-{Hash(sourceId)}";

    public static string SyncLock(string connector, string source) => $"connector-{connector}-sync-{Hash(source)}";

    public static string Hash(string value) => StateKeyHash.Of(value);
}
