using Kmrl.Testing.Servers;
using StackExchange.Redis;

namespace Kmrl.Testing.Tests;

public sealed class RedisServerTests(RedisServer redis) : IClassFixture<RedisServer>
{
    [Fact]
    public async Task Redis_answers_ping_and_keeps_a_value()
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Endpoint);
        var database = connection.GetDatabase();

        var latency = await database.PingAsync();
        await database.StringSetAsync("greeting", "namaskaram");

        Assert.True(latency < TimeSpan.FromSeconds(5));
        Assert.Equal("namaskaram", (string?)await database.StringGetAsync("greeting"));
    }
}
