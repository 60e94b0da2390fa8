using Kmrl.Testing.Servers;

namespace Kmrl.Dapr.Testing.Tests;

[CollectionDefinition(Name)]
public sealed class RedisCollection : ICollectionFixture<RedisServer>
{
    public const string Name = "redis";
}
