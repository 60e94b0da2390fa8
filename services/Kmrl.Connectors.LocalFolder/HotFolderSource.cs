using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;

namespace Kmrl.Connectors.LocalFolder;

/// <summary>
/// A scanner's hot folder (a local or mounted directory). A file is handed on once it has settled (the same size and
/// modification time for <see cref="HotFolderOptions.SettleTime"/>), each with a checkpoint after it, and moved to the
/// processed folder once that checkpoint is stored. Which files become documents is the host's filter's call (a
/// rejected file is recorded and moved on like the rest), so the inbox always drains. Hidden files (a leading dot,
/// or Office's <c>~$</c> lock files) are never offered: they are other programs' work in progress.
/// </summary>
public sealed partial class HotFolderSource(HotFolderOptions options, ILogger<HotFolderSource> logger, TimeProvider? timeProvider = null) : IDocumentSource
{
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    public string Name => options.Name;

    public async IAsyncEnumerable<SourceChange> ReadChangesAsync(string? checkpoint, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var state = Checkpoints.Read<HotFolderCheckpoint>(checkpoint, logger) ?? HotFolderCheckpoint.Empty;
        var now = _time.GetUtcNow();
        var files = List();
        // Seen but not settled yet; handed on and committed but not moved yet; settled now, to hand on in this run.
        var waiting = new Dictionary<string, FileVersion>(StringComparer.Ordinal);
        var handed = new Dictionary<string, FileVersion>(StringComparer.Ordinal);
        var settled = new List<(FileInfo File, FileVersion Version)>();
        foreach (var file in files)
        {
            var version = new FileVersion(file.Length, new DateTimeOffset(file.LastWriteTimeUtc, TimeSpan.Zero), now);
            if (state.Handed.TryGetValue(file.Name, out var before) && before.SameAs(version))
            {
                // Handed on and committed, but the move after the commit did not happen (a crash, a full disk).
                if (!TryMove(file))
                {
                    handed[file.Name] = before;
                }
                continue;
            }
            if (state.Pending.TryGetValue(file.Name, out var seen) && seen.SameAs(version))
            {
                if (now - seen.Seen >= options.SettleTime)
                {
                    settled.Add((file, seen));
                }
                else
                {
                    waiting[file.Name] = seen;
                }
                continue;
            }
            waiting[file.Name] = version;
        }
        LogPoll(logger, Name, files.Count, settled.Count, waiting.Count);

        // A checkpoint after each file, so each leaves the inbox as soon as it is committed. It lists what still
        // waits and what is handed but not moved, not the settled files still to come: a crash mid-run makes those
        // settle once more, and the checkpoints stay as small as the waiting list instead of growing with a backlog.
        foreach (var (file, version) in settled)
        {
            yield return new SourceDocument(
                SourceId: file.Name,
                FileName: file.Name,
                DeclaredContentType: null,
                Size: file.Length,
                Metadata: new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    [LocalFolderMetadata.Folder] = options.Path,
                    [LocalFolderMetadata.Modified] = version.Modified.ToString("O", CultureInfo.InvariantCulture),
                },
                OpenContentAsync: _ => Task.FromResult(Open(file)));
            handed[file.Name] = version;
            yield return Checkpoints.Of(new HotFolderCheckpoint(Copy(waiting), Copy(handed)), _ =>
            {
                // Runs once the checkpoint naming it handed is stored, before the host reads the next change.
                if (TryMove(file))
                {
                    handed.Remove(file.Name);
                }
                return Task.CompletedTask;
            });
        }
        var end = new HotFolderCheckpoint(waiting, handed);
        if (settled.Count == 0 && !end.SameAs(state))
        {
            // Nothing handed on, but what waits changed: store it, so the next poll measures from it.
            yield return Checkpoints.Of(end);
        }
        await Task.CompletedTask;
    }

    private List<FileInfo> List()
    {
        var inbox = new DirectoryInfo(options.Path);
        if (!inbox.Exists)
        {
            // A missing share is a listing failure, not an empty folder: the run fails and alerts.
            throw new DirectoryNotFoundException($"The hot folder '{options.Path}' of source '{Name}' does not exist or is not mounted.");
        }
        return inbox.EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = false, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.Hidden })
            .Where(file => !file.Name.StartsWith('.') && !file.Name.StartsWith("~$", StringComparison.Ordinal))
            .OrderBy(file => file.LastWriteTimeUtc).ThenBy(file => file.Name, StringComparer.Ordinal)
            .ToList();
    }

    private static Stream Open(FileInfo file)
    {
        try
        {
            return new FileStream(file.FullName, new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = FileAccess.Read,
                Share = FileShare.Read,
                Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
            });
        }
        catch (Exception exception) when (exception is FileNotFoundException or UnauthorizedAccessException)
        {
            // Gone since the listing, or not readable by this user: asking again gives the same answer.
            throw new HotFolderFileException(file.FullName, exception);
        }
    }

    /// <summary>Moves a handed file to the processed folder; false when it could not (it stays handed and is moved next poll).</summary>
    private bool TryMove(FileInfo file)
    {
        var processed = options.ProcessedFolder;
        try
        {
            Directory.CreateDirectory(processed);
            var target = Path.Combine(processed, file.Name);
            if (File.Exists(target))
            {
                // Scanners reuse names (scan0001.pdf): keep both, the later one with when it was moved.
                target = Path.Combine(processed,
                    $"{Path.GetFileNameWithoutExtension(file.Name)}.{_time.GetUtcNow():yyyyMMddTHHmmssfff}{Path.GetExtension(file.Name)}");
            }
            File.Move(file.FullName, target);
            LogMoved(logger, Name, file.Name, processed);
            return true;
        }
        catch (FileNotFoundException)
        {
            // Someone took it out of the inbox already; nothing left to move.
            return true;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            LogMoveFailed(logger, exception, Name, file.Name, processed);
            return false;
        }
    }

    private static Dictionary<string, FileVersion> Copy(Dictionary<string, FileVersion> versions) => new(versions, StringComparer.Ordinal);

    [LoggerMessage(Level = LogLevel.Information, Message = "Hot folder {Source}: {Files} files, {Settled} settled, {Waiting} waiting to settle")]
    private static partial void LogPoll(ILogger logger, string source, int files, int settled, int waiting);

    [LoggerMessage(Level = LogLevel.Information, Message = "Hot folder {Source}: moved {File} to {Processed}")]
    private static partial void LogMoved(ILogger logger, string source, string file, string processed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Hot folder {Source}: could not move {File} to {Processed}; it is moved at the next poll")]
    private static partial void LogMoveFailed(ILogger logger, Exception exception, string source, string file, string processed);

}

/// <summary>A listed file that cannot be opened (deleted since, or not readable): permanent, so the host dead-letters it at once.</summary>
public sealed class HotFolderFileException(string path, Exception inner)
    : IOException($"The hot-folder file '{path}' cannot be opened: {inner.Message}", inner), ISourceFailureKind
{
    public bool IsPermanent => true;
}

/// <summary>Metadata keys of hot-folder documents.</summary>
public static class LocalFolderMetadata
{
    public const string Folder = "folder";
    public const string Modified = "modified";
}
