using StackExchange.Redis;

namespace Kmrl.Dapr.Testing.Runtime;

/// <summary>A state operation as daprd hands it to state.redis.</summary>
public sealed record StateOperation(string Key, bool IsDelete, byte[]? Value, string? ETag, bool FirstWrite, int? TtlSeconds);

/// <summary>Raised when an ETag does not match (daprd answers gRPC Aborted).</summary>
public sealed class ETagMismatchException(string message) : Exception(message);

/// <summary>Raised when an ETag is not a valid state.redis version (daprd answers InvalidArgument).</summary>
public sealed class ETagInvalidException(string message) : Exception(message);

/// <summary>
/// state.redis semantics: each key is a hash {data, version}; the ETag is the version number; keys are
/// prefixed "&lt;app-id&gt;||" (keyPrefix=appid, the default). All operations of one call run in one Lua script,
/// so a transaction either applies completely or not at all.
/// </summary>
public sealed class RedisStateStore(string name, IConnectionMultiplexer redis, string keyPrefix)
{
    // ARGV per key: op ("set"/"del"), etag ("" = none), firstWrite ("1"/"0"), data, ttl ("" or seconds).
    private const string ApplyScript = """
        local n = #KEYS
        for i = 1, n do
          local etag = ARGV[(i-1)*5 + 2]
          local firstWrite = ARGV[(i-1)*5 + 3]
          local version = redis.call('HGET', KEYS[i], 'version')
          if etag ~= '' then
            if (not version) or tostring(version) ~= etag then
              return redis.error_reply('ETAGMISMATCH ' .. KEYS[i])
            end
          elseif firstWrite == '1' and version and ARGV[(i-1)*5 + 1] == 'set' then
            return redis.error_reply('ETAGMISMATCH ' .. KEYS[i])
          end
        end
        for i = 1, n do
          local op = ARGV[(i-1)*5 + 1]
          if op == 'del' then
            redis.call('DEL', KEYS[i])
          else
            local v = redis.call('HINCRBY', KEYS[i], 'version', 1)
            redis.call('HSET', KEYS[i], 'data', ARGV[(i-1)*5 + 4])
            local ttl = ARGV[(i-1)*5 + 5]
            if ttl ~= '' and tonumber(ttl) > 0 then
              redis.call('EXPIRE', KEYS[i], tonumber(ttl))
            elseif ttl ~= '' and tonumber(ttl) <= 0 then
              redis.call('PERSIST', KEYS[i])
            end
          end
        end
        return n
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

    public async Task ApplyAsync(IReadOnlyList<StateOperation> operations)
    {
        if (operations.Count == 0)
        {
            return;
        }
        foreach (var op in operations)
        {
            if (!string.IsNullOrEmpty(op.ETag) && !long.TryParse(op.ETag, out _))
            {
                throw new ETagInvalidException($"invalid etag value: {op.ETag}");
            }
        }
        var keys = operations.Select(o => (RedisKey)RedisKey(o.Key)).ToArray();
        var args = operations.SelectMany(o => new RedisValue[]
        {
            o.IsDelete ? "del" : "set", o.ETag ?? "", o.FirstWrite ? "1" : "0", o.Value ?? [],
            o.TtlSeconds?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "",
        }).ToArray();
        try
        {
            await redis.GetDatabase().ScriptEvaluateAsync(ApplyScript, keys, args);
        }
        catch (RedisServerException e) when (e.Message.Contains("ETAGMISMATCH", StringComparison.Ordinal))
        {
            throw new ETagMismatchException("possible etag mismatch. error from state store: " + e.Message);
        }
    }
}
