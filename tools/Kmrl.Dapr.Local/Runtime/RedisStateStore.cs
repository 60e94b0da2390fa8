using System.Globalization;
using StackExchange.Redis;

namespace Kmrl.Dapr.Testing.Runtime;

/// <summary>The concurrency option of a state request (daprd passes it through to the store).</summary>
public enum StateConcurrency
{
    Unspecified,
    FirstWrite,
    LastWrite,
}

/// <summary>A state operation as daprd hands it to state.redis.</summary>
public sealed record StateOperation(string Key, bool IsDelete, byte[]? Value, string? ETag, StateConcurrency Concurrency, int? TtlSeconds);

/// <summary>components-contrib's <c>state.ETagError</c> of kind mismatch (daprd answers a single Save/Delete with gRPC Aborted).</summary>
public sealed class ETagMismatchException(string message) : Exception(message);

/// <summary>components-contrib's <c>state.ETagError</c> of kind invalid (daprd answers a single Save/Delete with InvalidArgument).</summary>
public sealed class ETagInvalidException(string message) : Exception(message);

/// <summary>Any other state store error (daprd answers gRPC Internal).</summary>
public sealed class StateStoreException(string message) : Exception(message);

/// <summary>
/// state.redis as components-contrib v1.16 runs it (<c>state/redis/redis.go</c>): each key is a hash
/// {data, version[, first-write]}, the ETag is the version, keys are prefixed "&lt;app-id&gt;||" (keyPrefix=appid).
/// One Lua script per key decides whether a write may go ahead:
/// <list type="bullet">
/// <item>set: when the key is absent, or the ETag equals the version, or no ETag was given ("0") and the key was
/// never written with first-write concurrency. So a null/empty ETag overwrites (last write wins), and first-write
/// only protects a key that was itself written with first-write.</item>
/// <item>delete: when the key is absent, or the ETag equals the version, or no ETag was given.</item>
/// </list>
/// A single Set reports a refused script as an ETag mismatch only if the request carried a non-empty ETag
/// (<c>SetRequest.HasETag</c>, <c>state/requests.go</c>); without one (a first-write conflict) it is a plain error.
/// A transaction (<c>Multi</c>) queues one EVAL per key in a MULTI/EXEC pipeline without the first-write argument:
/// a refused script does not stop the other commands (Redis has no rollback) and EXEC's first error is returned.
/// </summary>
public sealed class RedisStateStore(string name, IConnectionMultiplexer redis, string keyPrefix)
{
    // Our own scripts with the decisions of components-contrib's setDefaultQuery/delDefaultQuery.
    // set: ARGV[1] = expected version ("0" = none), ARGV[2] = data, ARGV[3] = "0" for first-write (absent in Multi).
    private const string SetScript = """
        local version = redis.pcall('HGET', KEYS[1], 'version')
        if type(version) == 'table' then
          redis.call('DEL', KEYS[1])
        end
        local firstWrite = redis.pcall('HGET', KEYS[1], 'first-write')
        local free = (not version) or type(version) == 'table' or version == '' or version == ARGV[1]
        if free or ((not firstWrite) and ARGV[1] == '0') then
          redis.call('HSET', KEYS[1], 'data', ARGV[2])
          if ARGV[3] == '0' then
            redis.call('HSET', KEYS[1], 'first-write', 0)
          end
          return redis.call('HINCRBY', KEYS[1], 'version', 1)
        end
        return error('failed to set key ' .. KEYS[1])
        """;

    // delete: ARGV[1] = expected version ("0" = none).
    private const string DeleteScript = """
        local version = redis.pcall('HGET', KEYS[1], 'version')
        if (not version) or type(version) == 'table' or version == ARGV[1] or version == '' or ARGV[1] == '0' then
          return redis.call('DEL', KEYS[1])
        end
        return error('failed to delete ' .. KEYS[1])
        """;

    public string Name { get; } = name;

    public string RedisKey(string key) => keyPrefix.Length == 0 ? key : keyPrefix + "||" + key;

    public async Task<(byte[]? Data, string? ETag)> GetAsync(string key)
    {
        var values = await redis.GetDatabase().HashGetAsync(RedisKey(key), ["data", "version"]);
        if (values[0].IsNull)
        {
            return (null, null);
        }
        return ((byte[])values[0]!, values[1].ToString());
    }

    /// <summary>A single Set (SaveState), as <c>setValue</c> runs it.</summary>
    public async Task SetAsync(StateOperation operation)
    {
        var version = ParseETag(operation);
        var db = redis.GetDatabase();
        var key = RedisKey(operation.Key);
        try
        {
            await db.ScriptEvaluateAsync(SetScript, [key],
                [version, operation.Value ?? [], operation.Concurrency == StateConcurrency.FirstWrite ? "0" : "1"]);
        }
        catch (RedisServerException e)
        {
            if (!string.IsNullOrEmpty(operation.ETag))
            {
                throw new ETagMismatchException("possible etag mismatch. error from state store: " + e.Message);
            }
            throw new StateStoreException($"failed to set key {key}: {e.Message}");
        }
        if (operation.TtlSeconds is { } ttl)
        {
            await (ttl > 0 ? db.KeyExpireAsync(key, TimeSpan.FromSeconds(ttl)) : db.KeyPersistAsync(key));
        }
    }

    /// <summary>A single Delete (DeleteState), as <c>deleteValue</c> runs it: any refusal is an ETag mismatch.</summary>
    public async Task DeleteAsync(StateOperation operation)
    {
        try
        {
            await redis.GetDatabase().ScriptEvaluateAsync(DeleteScript, [RedisKey(operation.Key)], [operation.ETag ?? "0"]);
        }
        catch (RedisServerException e)
        {
            throw new ETagMismatchException("possible etag mismatch. error from state store: " + e.Message);
        }
    }

    /// <summary>
    /// A transaction (ExecuteStateTransaction), as <c>Multi</c> runs it: per key, no rollback, the first error of EXEC.
    /// </summary>
    public async Task MultiAsync(IReadOnlyList<StateOperation> operations)
    {
        // ETags are parsed while the pipeline is built: an invalid one fails the call before anything is sent.
        var versions = operations.Select(o => o.IsDelete ? null : ParseETag(o)).ToList();
        var transaction = redis.GetDatabase().CreateTransaction();
        var commands = new List<Task>();
        for (var i = 0; i < operations.Count; i++)
        {
            var operation = operations[i];
            var key = (RedisKey)RedisKey(operation.Key);
            if (operation.IsDelete)
            {
                commands.Add(transaction.ScriptEvaluateAsync(DeleteScript, [key], [operation.ETag ?? "0"]));
                continue;
            }
            commands.Add(transaction.ScriptEvaluateAsync(SetScript, [key], [versions[i]!, operation.Value ?? []]));
            if (operation.TtlSeconds is { } ttl)
            {
                // Queued after the script whatever it decides, as Multi does.
                commands.Add(ttl > 0 ? transaction.KeyExpireAsync(key, TimeSpan.FromSeconds(ttl)) : transaction.KeyPersistAsync(key));
            }
        }
        await transaction.ExecuteAsync();
        foreach (var command in commands)
        {
            try
            {
                await command;
            }
            catch (RedisServerException e)
            {
                throw new StateStoreException(e.Message);
            }
        }
    }

    // parseETag: last-write concurrency or no ETag means "0"; anything else must be an integer.
    private static string ParseETag(StateOperation operation)
    {
        if (operation.Concurrency == StateConcurrency.LastWrite || string.IsNullOrEmpty(operation.ETag))
        {
            return "0";
        }
        if (!int.TryParse(operation.ETag, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var version))
        {
            throw new ETagInvalidException($"invalid etag value: strconv.Atoi: parsing \"{operation.ETag}\": invalid syntax");
        }
        return version.ToString(CultureInfo.InvariantCulture);
    }
}
