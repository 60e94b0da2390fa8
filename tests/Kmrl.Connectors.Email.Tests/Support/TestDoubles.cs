using System.Collections.Concurrent;
using System.Diagnostics;
using Kmrl.Connectors.Email.Imap;
using MailKit.Net.Imap;

namespace Kmrl.Connectors.Email.Tests.Support;

/// <summary>Creates real MailKit clients that record their protocol conversation.</summary>
public sealed class RecordingClientFactory : IImapClientFactory
{
    private readonly ConcurrentQueue<RecordingProtocolLogger> _loggers = new();

    public Action<RecordingProtocolLogger>? OnCreated { get; set; }

    public IReadOnlyList<RecordingProtocolLogger> Loggers => _loggers.ToList();

    public IReadOnlyList<string> AllClientLines => _loggers.SelectMany(logger => logger.ClientLines).ToList();

    public ImapClient Create(string mailboxName)
    {
        var logger = new RecordingProtocolLogger();
        _loggers.Enqueue(logger);
        OnCreated?.Invoke(logger);
        return new ImapClient(logger);
    }
}

/// <summary>Records sync requests with the time they arrived.</summary>
public sealed class RecordingSyncRequests : ISyncRequests
{
    private readonly ConcurrentQueue<(string Source, long Timestamp)> _requests = new();
    private readonly SemaphoreSlim _signal = new(0);

    public IReadOnlyList<(string Source, long Timestamp)> Requests => _requests.ToList();

    public void Request(string sourceName)
    {
        _requests.Enqueue((sourceName, Stopwatch.GetTimestamp()));
        _signal.Release();
    }

    public Task<bool> WaitAsync(TimeSpan timeout) => _signal.WaitAsync(timeout);
}
