using Kmrl.DocumentApi.Adapters;

namespace Kmrl.DocumentApi.Tests.Activities;

public sealed class CatalogDayIndexTests
{
    [Fact]
    public void A_days_documents_spread_over_every_shard_so_no_index_key_holds_the_whole_day()
    {
        var day = new DateOnly(2026, 11, 27);
        var keys = Enumerable.Range(0, 1_600).Select(i => StateStoreCatalog.DayKey(day, $"doc-{i:x32}")).ToList();

        var perShard = keys.GroupBy(key => key).Select(group => group.Count()).ToList();

        Assert.Equal(StateStoreCatalog.DayIndexShards, perShard.Count);
        Assert.All(perShard, count => Assert.InRange(count, 50, 150));
        Assert.Equal(StateStoreCatalog.DayKeys(day).Order(StringComparer.Ordinal), keys.Distinct().Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_documents_shard_is_the_same_in_every_process()
    {
        // Listing and writing may happen in different replicas: the shard must not depend on string.GetHashCode.
        // Expected value: 32-bit FNV-1a of the id is 741062968, and 741062968 % 16 = 8.
        Assert.Equal("day:2026-11-27:08", StateStoreCatalog.DayKey(new DateOnly(2026, 11, 27), "doc-0123456789abcdef0123456789abcdef"));
    }
}
