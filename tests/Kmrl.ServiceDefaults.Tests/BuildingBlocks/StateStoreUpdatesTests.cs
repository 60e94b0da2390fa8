using Kmrl.BuildingBlocks.State;
using Microsoft.Extensions.Time.Testing;

namespace Kmrl.ServiceDefaults.Tests.BuildingBlocks;

/// <summary>The one optimistic update: a lost race waits on the given clock, then re-reads and writes over the winner's value.</summary>
public sealed class StateStoreUpdatesTests
{
    [Fact]
    public async Task A_lost_race_waits_on_the_given_clock_then_applies_the_change_to_the_winners_value()
    {
        var store = new OneKeyStore { RefuseNext = 1 };
        var clock = new FakeTimeProvider();

        var update = store.UpdateAsync<List<string>>("k", current => Task.FromResult<List<string>?>([.. current ?? [], "mine"]), 5, clock, CancellationToken.None);
        await WaitUntilAsync(() => store.Refused == 1);
        store.Value = ["theirs"];
        // The wait is on the fake clock: without moving it the update cannot go on.
        await Task.Delay(200);
        Assert.False(update.IsCompleted);

        clock.Advance(TimeSpan.FromMilliseconds(100));
        var (value, written) = await update;

        Assert.True(written);
        Assert.Equal(new[] { "theirs", "mine" }, value);
        Assert.Equal(new[] { "theirs", "mine" }, store.Value);
    }

    [Fact]
    public async Task A_store_that_keeps_refusing_stops_after_the_attempts_given()
    {
        var store = new OneKeyStore { RefuseNext = int.MaxValue };

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            store.UpdateAsync<List<string>>("k", _ => ["x"], 3, CancellationToken.None));

        Assert.Equal(3, store.Refused);
        Assert.Contains("'k'", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_wait_after_a_lost_race_grows_with_the_attempt_and_is_capped()
    {
        Assert.InRange(StateStoreUpdates.ConflictWait(1), TimeSpan.FromMilliseconds(2), TimeSpan.FromMilliseconds(5));
        Assert.InRange(StateStoreUpdates.ConflictWait(10), TimeSpan.FromMilliseconds(25), TimeSpan.FromMilliseconds(50));
        Assert.InRange(StateStoreUpdates.ConflictWait(1000), TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(100));
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(10);
        }
        Assert.True(condition());
    }

    /// <summary>One key, an ETag that changes on every write, and a number of writes to refuse as if another writer won.</summary>
    private sealed class OneKeyStore : IStateStore
    {
        private int _version;

        public List<string>? Value { get; set; }

        public int RefuseNext { get; set; }

        public int Refused { get; private set; }

        public Task<StoredValue<T>?> GetAsync<T>(string key, CancellationToken cancellationToken) =>
            Task.FromResult(Value is null ? null : new StoredValue<T>((T)(object)Value.ToList(), _version.ToString(System.Globalization.CultureInfo.InvariantCulture)));

        public Task<IReadOnlyList<T>> GetManyAsync<T>(IReadOnlyList<string> keys, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public Task<bool> TrySaveAsync<T>(string key, T value, string? etag, CancellationToken cancellationToken)
        {
            if (RefuseNext > 0)
            {
                RefuseNext--;
                Refused++;
                return Task.FromResult(false);
            }
            Value = ((List<string>)(object)value!).ToList();
            _version++;
            return Task.FromResult(true);
        }

        public Task DeleteAsync(string key, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
