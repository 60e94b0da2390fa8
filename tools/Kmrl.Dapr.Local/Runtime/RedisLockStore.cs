using StackExchange.Redis;

namespace Kmrl.Dapr.Testing.Runtime;

public enum UnlockStatus { Success = 0, LockDoesNotExist = 1, LockBelongsToOthers = 2, InternalError = 3 }

/// <summary>lock.redis: SET key owner NX PX expiry; unlock compares the owner in Lua. Keys prefixed by app id like daprd's default.</summary>
public sealed class RedisLockStore(string name, IConnectionMultiplexer redis, string appId)
{
    private const string UnlockScript = """
        local v = redis.call('GET', KEYS[1])
        if v == false then return 1 end
        if v ~= ARGV[1] then return 2 end
        redis.call('DEL', KEYS[1])
        return 0
        """;

    public string Name { get; } = name;

    public string RedisKey(string resourceId) => appId + "||" + resourceId;

    public Task<bool> TryLockAsync(string resourceId, string owner, int expirySeconds) =>
        redis.GetDatabase().StringSetAsync(RedisKey(resourceId), owner, TimeSpan.FromSeconds(expirySeconds), When.NotExists);

    public async Task<UnlockStatus> UnlockAsync(string resourceId, string owner)
    {
        var result = await redis.GetDatabase().ScriptEvaluateAsync(UnlockScript, [RedisKey(resourceId)], [owner]);
        return (UnlockStatus)(int)result;
    }
}
