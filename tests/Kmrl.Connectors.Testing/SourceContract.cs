using System.Security.Cryptography;
using Kmrl.Connectors.Hosting;
using Kmrl.Connectors.Ports;
using Kmrl.Contracts;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kmrl.Connectors.Testing;

/// <summary>
/// Runs any <see cref="IDocumentSource"/> the way the connector host does: the real runner, filter, claim check and
/// checkpoint commit, with the Dapr ports in memory (<see cref="ConnectorPorts"/>). The one driver every connector's
/// tests use, so a source is judged by what the host makes of it: what was published, stored and skipped.
/// </summary>
public static class SourceContract
{
    /// <summary>
    /// One sync of <paramref name="source"/> from <paramref name="checkpoint"/> (null: the first run) in a fresh host.
    /// A failed run throws what the source threw (unless <see cref="ContractOptions.ThrowOnFailure"/> is off).
    /// </summary>
    public static async Task<ContractRun> RunAsync(IDocumentSource source, string? checkpoint = null, ContractOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        await using var host = new ContractHost(options);
        return await host.RunFromAsync(source, checkpoint, cancellationToken);
    }

    /// <summary>A checkpoint value read as the source reads it (<see cref="Checkpoints.Read{T}"/>); null when none or unreadable.</summary>
    public static T? ReadCheckpoint<T>(string? value) where T : class => Checkpoints.Read<T>(value, NullLogger.Instance);

    /// <summary>SHA-256 in the form the claim check writes into <c>DocumentDiscovered.Sha256</c> (lower-case hex).</summary>
    public static string Sha256(ReadOnlySpan<byte> content) => Convert.ToHexStringLower(SHA256.HashData(content));

    /// <summary>Reads <paramref name="content"/> to its end: its SHA-256 (as <see cref="Sha256"/>) and its length.</summary>
    public static async Task<(string Sha256, long Length)> HashAsync(Stream content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[81920];
        long length = 0;
        int read;
        while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            length += read;
        }
        return (Convert.ToHexStringLower(hash.GetHashAndReset()), length);
    }
}

/// <summary>How the contract host is set up. The defaults are the host's own, except the two noted.</summary>
public sealed class ContractOptions
{
    /// <summary>The connector name (keys, events' <c>Source</c>): a <c>DocumentSources</c> value in a connector's tests.</summary>
    public string Connector { get; init; } = "contract";

    public string ScheduleBinding { get; init; } = "contract-schedule";

    /// <summary>Configuration the host and the registrations read, e.g. <c>Email:Mailboxes:0:Host</c>.</summary>
    public IDictionary<string, string?> Settings { get; init; } = new Dictionary<string, string?>(StringComparer.Ordinal);

    /// <summary>
    /// Changes to the host's options after configuration, e.g. the filters a connector's appsettings add. The kit
    /// itself sets a 10 ms first retry delay and a rate limit no test reaches (as settings, which
    /// <see cref="Settings"/> override), so retries and paging cost no wall time.
    /// </summary>
    public Action<ConnectorHostOptions>? Host { get; init; }

    /// <summary>The host's clock (a fake one for timing tests); the ports' lock leases expire by it too.</summary>
    public TimeProvider? Time { get; init; }

    /// <summary>False: blobs are dropped once written (streaming and memory tests); the events still carry size and hash.</summary>
    public bool KeepContent { get; init; } = true;

    /// <summary>A failed run throws the source's exception; off, the failure is in <see cref="ContractRun.Outcome"/>.</summary>
    public bool ThrowOnFailure { get; init; } = true;

    /// <summary>The ports to use; a test that looks into them (or shares them between hosts) passes its own.</summary>
    public ConnectorPorts? Ports { get; init; }
}

/// <summary>What one run of the host made of a source's change stream.</summary>
/// <param name="Outcome">The host's outcome name (<c>Completed</c>, <c>Failed</c>, <c>CheckpointConflict</c>, …).</param>
/// <param name="Checkpoint">The stored checkpoint after the run (the one it started from when it stored none).</param>
/// <param name="Published">Every event the run published, in order, with its topic.</param>
/// <param name="Offered">Every change the source yielded, in order, as the source yielded it.</param>
public sealed record ContractRun(
    string Outcome,
    string? Error,
    string? Checkpoint,
    int CheckpointsStored,
    IReadOnlyList<ContractDocument> Documents,
    IReadOnlyList<SourceTombstone> Tombstones,
    IReadOnlyList<SourceUnreadable> Unreadable,
    IReadOnlyList<RejectedItem> Rejected,
    IReadOnlyList<DeadLetteredItem> DeadLettered,
    IReadOnlyList<(string Topic, object Event)> Published,
    IReadOnlyList<SourceChange> Offered)
{
    public bool Completed => Outcome == "Completed";

    /// <summary>The stored <see cref="Checkpoint"/> as the source's record (<see cref="SourceContract.ReadCheckpoint{T}"/>).</summary>
    public T? CheckpointAs<T>() where T : class => SourceContract.ReadCheckpoint<T>(Checkpoint);
}

/// <summary>
/// A document the host handed on: the source's <see cref="Document"/> (its own id, name, size and metadata) and the
/// <see cref="Event"/> that was published for it (the claim check's size and hash, the blob, the qualified id).
/// </summary>
/// <param name="Content">The stored bytes read back through the claim check; null when content is not kept.</param>
public sealed record ContractDocument(SourceDocument Document, DocumentDiscovered Event, string Topic, byte[]? Content)
{
    public string SourceId => Document.SourceId;

    public string FileName => Document.FileName;

    /// <summary>What the source declared (the event carries the host's choice in <c>Event.ContentType</c>).</summary>
    public string? ContentType => Document.DeclaredContentType;

    /// <summary>What the source announced before reading, if anything.</summary>
    public long? Size => Document.Size;

    public IReadOnlyDictionary<string, string> Metadata => Document.Metadata;

    public string Sha256 => Event.Sha256;

    /// <summary>Bytes the claim check stored.</summary>
    public long Length => Event.Size;
}
