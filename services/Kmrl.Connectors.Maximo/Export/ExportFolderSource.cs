using System.Globalization;
using System.Runtime.CompilerServices;
using Kmrl.Connectors.Maximo.RemoteFolders;
using Microsoft.Extensions.Logging;

namespace Kmrl.Connectors.Maximo.Export;

/// <summary>
/// Documents Maximo drops into an export folder (FTP, FTPS or SFTP). A file is taken once it is stable (same size
/// and modification time on two polls, or a done-marker next to it), handed on with a checkpoint that remembers it
/// by path + size + mtime, and then, if an archive folder is configured, moved there after the checkpoint is stored.
/// A file is never downloaded again while it keeps the same size and time at the same path.
/// </summary>
public sealed partial class ExportFolderSource(
    ExportFolderOptions options, IRemoteFolderConnector connector, ILogger<ExportFolderSource> logger, TimeProvider? timeProvider = null) : IDocumentSource
{
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    private readonly RemoteSessionPool _sessions = new(connector);

    public string Name => options.Name;

    public async IAsyncEnumerable<SourceChange> ReadChangesAsync(string? checkpoint, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var state = Checkpoints.Read<ExportFolderCheckpoint>(checkpoint, logger) ?? ExportFolderCheckpoint.Empty;
        var entries = await WithSessionAsync(session => session.ListAsync(options.Folder, cancellationToken), cancellationToken);
        var files = entries.Where(e => e.IsFile).ToList();
        var names = files.Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
        var present = files.Select(f => f.Path).ToHashSet(StringComparer.Ordinal);

        // Forget handed files that are gone (archived, deleted): the checkpoint only tracks what is still there.
        var handed = state.Handed.Where(h => present.Contains(h.Key)).ToDictionary(h => h.Key, h => h.Value, StringComparer.Ordinal);
        var pending = new Dictionary<string, FileStamp>(StringComparer.Ordinal);
        var ready = new List<RemoteEntry>();
        foreach (var file in files.OrderBy(f => f.Modified).ThenBy(f => f.Name, StringComparer.Ordinal))
        {
            if (IsMarker(file.Name) || !IsWanted(file.Name))
            {
                continue;
            }
            var stamp = new FileStamp(file.Size, file.Modified);
            if (handed.TryGetValue(file.Path, out var handedStamp) && handedStamp == stamp)
            {
                await ArchiveLeftBehindAsync(file, cancellationToken);
                continue;
            }
            var stable = options.DoneMarkerSuffix is { Length: > 0 } suffix
                ? names.Contains(file.Name + suffix)
                : state.Pending.TryGetValue(file.Path, out var seen) && seen == stamp;
            if (stable)
            {
                ready.Add(file);
                if (string.IsNullOrEmpty(options.DoneMarkerSuffix))
                {
                    // Proven stable but not handed on yet: a batch checkpoint keeps it as pending, so a crash before
                    // its batch is stored does not make it prove stability again.
                    pending[file.Path] = stamp;
                }
            }
            else if (string.IsNullOrEmpty(options.DoneMarkerSuffix))
            {
                pending[file.Path] = stamp;
            }
        }
        LogPoll(logger, Name, files.Count, ready.Count, pending.Count - (string.IsNullOrEmpty(options.DoneMarkerSuffix) ? ready.Count : 0));

        // A checkpoint per batch, not per file: each one repeats every handed path (see CheckpointEveryFiles).
        var batch = new List<RemoteEntry>();
        long batchBytes = 0;
        var batchStarted = _time.GetTimestamp();
        for (var index = 0; index < ready.Count; index++)
        {
            var file = ready[index];
            var metadata = await DescribeAsync(file, cancellationToken);
            yield return new SourceDocument(
                SourceId: file.Path,
                FileName: file.Name,
                DeclaredContentType: null,
                Size: file.Size,
                Metadata: metadata,
                OpenContentAsync: ct => ResumingDownloadStream.OpenAsync(_sessions, file.Path, file.Size, options.ResumeAttempts, logger, ct));
            handed[file.Path] = new FileStamp(file.Size, file.Modified);
            pending.Remove(file.Path);
            batch.Add(file);
            batchBytes += Math.Max(file.Size, 0);
            // The time bound keeps a run that the host cuts at its lease deadline storing progress.
            if (batch.Count < options.CheckpointEveryFiles && batchBytes < options.CheckpointEveryBytes
                && _time.GetElapsedTime(batchStarted) < options.CheckpointEveryInterval && index < ready.Count - 1)
            {
                continue;
            }
            var value = new ExportFolderCheckpoint(
                new Dictionary<string, FileStamp>(pending, StringComparer.Ordinal),
                new Dictionary<string, FileStamp>(handed, StringComparer.Ordinal));
            var archived = batch.ToArray();
            batch.Clear();
            batchBytes = 0;
            batchStarted = _time.GetTimestamp();
            yield return Checkpoints.Of(value, string.IsNullOrEmpty(options.ArchiveFolder) ? null : ct => ArchiveBatchAsync(archived, ct));
        }
        if (ready.Count == 0)
        {
            // Nothing handed on: still store the candidates so the next poll can prove them stable.
            yield return Checkpoints.Of(new ExportFolderCheckpoint(pending, handed));
        }
    }

    private async Task<IReadOnlyDictionary<string, string>> DescribeAsync(RemoteEntry file, CancellationToken cancellationToken)
    {
        var metadata = new Dictionary<string, string>
        {
            [MaximoMetadata.ExportServer] = connector.Describe(),
            [MaximoMetadata.ExportPath] = file.Path,
            [MaximoMetadata.ExportModified] = file.Modified.ToString("O", CultureInfo.InvariantCulture),
        };
        if (MifHeader.AppliesTo(file.Name) && file.Size > 0)
        {
            // The header is on line 1: read only the first few KB (the transfer is abandoned after that). Best effort:
            // a file whose first bytes cannot be read is still listed, and its download then fails as that one item
            // (dead-lettered by the host), instead of failing the listing and holding the folder for good.
            byte[] head;
            try
            {
                head = await PeekAsync(file, cancellationToken);
            }
            catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
            {
                LogPeekFailed(logger, exception, file.Path);
                return metadata;
            }
            foreach (var (key, value) in MifHeader.Parse(file.Name, head))
            {
                metadata[key] = value;
            }
        }
        return metadata;
    }

    private Task<byte[]> PeekAsync(RemoteEntry file, CancellationToken cancellationToken) =>
        WithSessionAsync(async session =>
        {
            await using var stream = await session.OpenReadAsync(file.Path, 0, cancellationToken);
            var buffer = new byte[(int)Math.Min(MifHeader.PeekLength, file.Size)];
            var filled = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken);
            if (filled == file.Size)
            {
                // The whole (small) file is in: reading the end lets FTP confirm the transfer and keep the session.
                _ = await stream.ReadAtLeastAsync(new byte[1], 1, throwOnEndOfStream: false, cancellationToken);
            }
            return buffer[..filled];
        }, cancellationToken);

    /// <summary>
    /// Moves a handed file whose checkpoint is stored: right after its batch's commit, or at a later poll when the
    /// move was cut short (a crash, or the run's lease ending between the commit and the move). Its document is
    /// already published, so a failure is logged and tried again next poll rather than failing this one.
    /// </summary>
    private async Task ArchiveLeftBehindAsync(RemoteEntry file, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(options.ArchiveFolder))
        {
            return;
        }
        try
        {
            await ArchiveAsync(file, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or TimeoutException or Renci.SshNet.Common.SshException
            && !cancellationToken.IsCancellationRequested)
        {
            LogArchiveRetryFailed(logger, ex, file.Path);
        }
    }

    /// <summary>Moves a committed batch; a file whose move fails stays handed and is moved at the next poll.</summary>
    private async Task ArchiveBatchAsync(IReadOnlyList<RemoteEntry> files, CancellationToken cancellationToken)
    {
        foreach (var file in files)
        {
            await ArchiveLeftBehindAsync(file, cancellationToken);
        }
    }

    private async Task ArchiveAsync(RemoteEntry file, CancellationToken cancellationToken)
    {
        var archive = options.ArchiveFolder!;
        await WithSessionAsync(async session =>
        {
            await session.EnsureFolderAsync(archive, cancellationToken);
            await session.RenameAsync(file.Path, Combine(archive, file.Name), cancellationToken);
            if (options.DoneMarkerSuffix is { Length: > 0 } suffix)
            {
                await session.RenameAsync(file.Path + suffix, Combine(archive, file.Name + suffix), cancellationToken);
            }
            return true;
        }, cancellationToken);
        LogArchived(logger, file.Path, archive);
    }

    /// <summary>
    /// Runs one operation (listing, header peek, archive move) on a pooled session, logging in again once when the
    /// idle connection was closed by the server.
    /// </summary>
    private async Task<T> WithSessionAsync<T>(Func<IRemoteFolder, Task<T>> operation, CancellationToken cancellationToken)
    {
        var session = await _sessions.RentAsync(cancellationToken);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var result = await operation(session);
                await _sessions.ReturnAsync(session);
                return result;
            }
            catch (Exception exception) when (attempt == 1 && IsConnectionFailure(exception) && !cancellationToken.IsCancellationRequested)
            {
                await RemoteSessionPool.DiscardAsync(session);
                session = await _sessions.ConnectFreshAsync(cancellationToken);
            }
            catch
            {
                await RemoteSessionPool.DiscardAsync(session);
                throw;
            }
        }
    }

    private static bool IsConnectionFailure(Exception exception) =>
        exception is not (Ftp.FtpCommandException { IsPermanent: true } or Ftp.FtpListingTruncatedException)
        && exception is IOException or System.Net.Sockets.SocketException or TimeoutException or ObjectDisposedException
            or Renci.SshNet.Common.SshConnectionException;

    private bool IsMarker(string name) =>
        options.DoneMarkerSuffix is { Length: > 0 } suffix && name.EndsWith(suffix, StringComparison.OrdinalIgnoreCase);

    private bool IsWanted(string name) =>
        options.Extensions.Count == 0
        || options.Extensions.Any(extension => name.EndsWith(extension, StringComparison.OrdinalIgnoreCase));

    private static string Combine(string folder, string name) => folder.EndsWith('/') ? folder + name : folder + "/" + name;

    [LoggerMessage(Level = LogLevel.Information, Message = "Export folder {Source}: {Files} files, {Ready} ready, {Pending} waiting to prove stable")]
    private static partial void LogPoll(ILogger logger, string source, int files, int ready, int pending);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Moving {Path}, handed on earlier, into the archive failed again; next poll retries")]
    private static partial void LogArchiveRetryFailed(ILogger logger, Exception exception, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the header of {Path} failed; listed without its header metadata")]
    private static partial void LogPeekFailed(ILogger logger, Exception exception, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "Archived {Path} into {ArchiveFolder}")]
    private static partial void LogArchived(ILogger logger, string path, string archiveFolder);
}
