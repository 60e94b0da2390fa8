using System.Threading.Channels;
using Kmrl.Connectors.Hosting;
using Kmrl.Connectors.Observability;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kmrl.Connectors.Sync;

/// <summary>
/// Turns sync requests (cron binding, push triggers, the API) into runs: one loop per source, so a source never runs
/// twice at once here, and any number of requests during a run coalesce into exactly one more run after it.
/// </summary>
internal sealed class SyncScheduler : BackgroundService, ISyncRequests
{
    private readonly Dictionary<string, Entry> _sources = new(StringComparer.Ordinal);
    private readonly SyncRunner _runner;
    private readonly ILogger<SyncScheduler> _logger;

    public SyncScheduler(
        IEnumerable<IDocumentSource> sources,
        SyncRunner runner,
        ConnectorStatusRegistry status,
        IOptions<ConnectorHostOptions> options,
        ILogger<SyncScheduler> logger)
    {
        _runner = runner;
        _logger = logger;
        foreach (var source in sources)
        {
            if (string.IsNullOrWhiteSpace(source.Name))
            {
                throw new InvalidOperationException($"A document source of type {source.GetType().Name} has an empty Name; every source needs a stable name.");
            }
            // Capacity one, extra requests dropped: a pending request is a pending request, however many asked.
            var channel = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
            if (!_sources.TryAdd(source.Name, new Entry(source, channel)))
            {
                throw new InvalidOperationException($"Two document sources are named '{source.Name}'; names key checkpoints and locks, so they must be unique.");
            }
            status.Register(source.Name);
        }
        if (_sources.Count == 0)
        {
            logger.LogWarning("The connector has no document sources registered; schedule triggers will do nothing");
        }
        // A typo in a per-source section would otherwise be ignored silently.
        var unknown = options.Value.Sources.Keys.Where(name => !_sources.ContainsKey(name)).ToList();
        if (unknown.Count > 0)
        {
            throw new InvalidOperationException(
                $"{ConnectorHostOptions.SectionName}:Sources names {string.Join(", ", unknown.Select(n => $"'{n}'"))}, which no registered source is called. " +
                $"Registered sources: {string.Join(", ", _sources.Keys.Select(n => $"'{n}'"))}.");
        }
    }

    public IReadOnlyCollection<string> SourceNames => _sources.Keys;

    public bool Contains(string sourceName) => _sources.ContainsKey(sourceName);

    public IDocumentSource? Find(string sourceName) => _sources.TryGetValue(sourceName, out var entry) ? entry.Source : null;

    public void Request(string sourceName)
    {
        if (_sources.TryGetValue(sourceName, out var entry))
        {
            entry.Requests.Writer.TryWrite(true);
        }
        else
        {
            _logger.LogWarning("A sync of unknown source {Source} was requested", sourceName);
        }
    }

    public void RequestAll()
    {
        foreach (var name in _sources.Keys)
        {
            Request(name);
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(_sources.Values.Select(entry => LoopAsync(entry, stoppingToken)));

    private async Task LoopAsync(Entry entry, CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var _ in entry.Requests.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await _runner.RunAsync(entry.Source, stoppingToken);
                }
                catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
                {
                    // The runner reports its own failures; this keeps one source's bug from stopping the loop.
                    _logger.LogError(exception, "Sync of {Source} threw", entry.Source.Name);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private sealed record Entry(IDocumentSource Source, Channel<bool> Requests);
}
