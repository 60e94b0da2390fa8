namespace Kmrl.DocumentApi.Ports;

/// <summary>A value read with the ETag it had, for optimistic concurrency.</summary>
public sealed record StoredValue<T>(T Value, string? ETag);

/// <summary>One write of a transaction; <see cref="ETag"/> null means unconditional, a null value means delete.</summary>
public sealed record StateWrite(string Key, object? Value, string? ETag)
{
    public bool IsDelete => Value is null;
}

/// <summary>The key/value store under the catalog: reads, and all-or-nothing writes with ETag checks.</summary>
public interface IStateStore
{
    Task<StoredValue<T>?> GetAsync<T>(string key, CancellationToken cancellationToken);

    Task<IReadOnlyList<T>> GetManyAsync<T>(IReadOnlyList<string> keys, CancellationToken cancellationToken);

    /// <summary>Commits every write or none; false when an ETag no longer matches.</summary>
    Task<bool> TryCommitAsync(IReadOnlyList<StateWrite> writes, CancellationToken cancellationToken);
}
