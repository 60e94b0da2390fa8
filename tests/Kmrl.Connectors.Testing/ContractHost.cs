using System.Runtime.ExceptionServices;
using Kmrl.ClaimCheck;
using Kmrl.Connectors.Hosting;
using Kmrl.Connectors.Ports;
using Kmrl.Connectors.Sync;
using Kmrl.Contracts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kmrl.Connectors.Testing;

/// <summary>
/// The real connector host (<c>AddConnectorHost</c> plus a connector's own registrations) with its Dapr ports, secrets
/// and blobs in memory. Not started: a test drives each sync with <see cref="RunAsync"/>, and the checkpoint store
/// carries over from one run to the next as it would in the state store. <see cref="SourceContract"/> is the one-run
/// shortcut for a source the test built itself.
/// </summary>
public sealed class ContractHost : IAsyncDisposable, IDisposable
{
    private readonly IHost _host;
    private readonly ContractOptions _options;
    private readonly ExceptionLog _errors = new();

    /// <param name="register">The connector's registrations, e.g. <c>b => b.AddEmailSources()</c>.</param>
    public ContractHost(ContractOptions? options = null, Action<HostApplicationBuilder>? register = null)
    {
        _options = options ?? new ContractOptions();
        Ports = _options.Ports ?? new ConnectorPorts(_options.Time, _options.KeepContent);
        // No appsettings.json or environment: a referenced connector's appsettings in the test output must not leak in.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Testing" });
        builder.Configuration.AddInMemoryCollection(FastDefaults).AddInMemoryCollection(_options.Settings);
        builder.Logging.AddProvider(_errors);
        builder.ConfigureContainer(new DefaultServiceProviderFactory(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true }));
        builder.AddConnectorHost(_options.Connector, _options.ScheduleBinding);
        if (_options.Host is { } configureHost)
        {
            builder.Services.PostConfigure(configureHost);
        }
        register?.Invoke(builder);
        Ports.ReplaceIn(builder.Services);
        if (_options.Time is { } time)
        {
            builder.Services.RemoveAll<TimeProvider>().AddSingleton(time);
        }
        _host = builder.Build();
    }

    /// <summary>A host running <paramref name="sources"/> (built by the test) beside what <paramref name="options"/> set up.</summary>
    public static ContractHost Running(ContractOptions? options, params IDocumentSource[] sources) =>
        new(options, builder =>
        {
            foreach (var source in sources)
            {
                builder.Services.AddSingleton<IDocumentSource>(source);
            }
        });

    // Retries and paging cost no wall time: a 10 ms first retry delay and a rate limit no test reaches. Settings
    // (ContractOptions.Settings) override them, ContractOptions.Host after that.
    private static readonly Dictionary<string, string?> FastDefaults = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Connector:RetryBaseDelay"] = "00:00:00.010",
        ["Connector:RetryMaxDelay"] = "00:00:00.200",
        ["Connector:PushTriggerMaxDelay"] = "00:00:00.200",
        ["Connector:RateLimit:TokenLimit"] = "100000",
        ["Connector:RateLimit:TokensPerPeriod"] = "100000",
    };

    public ConnectorPorts Ports { get; }

    public IServiceProvider Services => _host.Services;

    /// <summary>A service of the host (the runner, the status registry, …).</summary>
    public T Get<T>() where T : notnull => _host.Services.GetRequiredService<T>();

    public string Connector => _options.Connector;

    /// <summary>The sources the registrations made.</summary>
    public IReadOnlyList<IDocumentSource> Sources => _host.Services.GetServices<IDocumentSource>().ToList();

    /// <summary>The only registered source (fails when there are none or several).</summary>
    public IDocumentSource Source => Sources.Single();

    /// <summary>Idempotency key → how often a <c>DocumentDiscovered</c> with it was published by this host.</summary>
    public IReadOnlyDictionary<string, int> DiscoveredTimes =>
        Ports.Publisher.Discovered.GroupBy(d => d.IdempotencyKey, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    /// <summary>One sync of <paramref name="source"/> from whatever checkpoint is stored.</summary>
    public async Task<ContractRun> RunAsync(IDocumentSource source, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        var recorder = new RecordingSource(source);
        var publishedBefore = Ports.Publisher.Events.Count;
        var skippedBefore = Ports.SkippedItems.Items.Count;
        var checkpointBefore = Ports.Checkpoints.ValueOf(Connector, source.Name);
        _errors.Clear();

        var result = await _host.Services.GetRequiredService<SyncRunner>().RunAsync(recorder, cancellationToken);

        var outcome = result.Outcome.ToString();
        if (outcome == "Failed" && _options.ThrowOnFailure)
        {
            ThrowFailure(result.Error);
        }
        var published = Ports.Publisher.Events.Skip(publishedBefore).Select(e => (e.Topic, e.Event)).ToList();
        var skipped = Ports.SkippedItems.Items.Skip(skippedBefore).ToList();
        var documents = new List<ContractDocument>();
        foreach (var (topic, discovered) in published.Where(p => p.Event is DocumentDiscovered).Select(p => (p.Topic, (DocumentDiscovered)p.Event)))
        {
            var offered = recorder.DocumentFor(discovered.SourceId)
                ?? throw new InvalidOperationException($"The host published '{discovered.SourceId}', which the source never yielded.");
            documents.Add(new ContractDocument(offered, discovered, topic, await ReadContentAsync(discovered, cancellationToken)));
        }
        var checkpoint = Ports.Checkpoints.ValueOf(Connector, source.Name) ?? checkpointBefore;
        return new ContractRun(
            outcome,
            result.Error,
            checkpoint,
            result.Counts.CheckpointsStored,
            documents,
            recorder.Offered.OfType<SourceTombstone>().ToList(),
            recorder.Offered.OfType<SourceUnreadable>().ToList(),
            skipped.OfType<RejectedItem>().ToList(),
            skipped.OfType<DeadLetteredItem>().ToList(),
            published,
            recorder.Offered);
    }

    /// <summary>One sync of <paramref name="source"/> from <paramref name="checkpoint"/>, as if a run before had stored it.</summary>
    public Task<ContractRun> RunFromAsync(IDocumentSource source, string? checkpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        Ports.Checkpoints.Seed(Connector, source.Name, checkpoint);
        return RunAsync(source, cancellationToken);
    }

    /// <summary>One sync of the only registered source from <paramref name="checkpoint"/>.</summary>
    public Task<ContractRun> RunFromAsync(string? checkpoint, CancellationToken cancellationToken = default) =>
        RunFromAsync(Source, checkpoint, cancellationToken);

    /// <summary>One sync of the registered source named <paramref name="sourceName"/>.</summary>
    public Task<ContractRun> RunAsync(string sourceName, CancellationToken cancellationToken = default) =>
        RunAsync(Sources.Single(s => s.Name == sourceName), cancellationToken);

    public void Dispose() => _host.Dispose();

    public async ValueTask DisposeAsync()
    {
        if (_host is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }
        else
        {
            _host.Dispose();
        }
    }

    private async Task<byte[]?> ReadContentAsync(DocumentDiscovered discovered, CancellationToken cancellationToken)
    {
        if (!Ports.Blobs.KeepContent)
        {
            return null;
        }
        await using var blob = await _host.Services.GetRequiredService<IDocumentContentStore>().OpenReadAsync(discovered.Blob, cancellationToken);
        using var buffer = new MemoryStream();
        await blob.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }

    // The runner turns a failure into an outcome and logs the exception; the test wants the source's exception back.
    private void ThrowFailure(string? error)
    {
        var logged = _errors.Last();
        if (logged is null)
        {
            throw new InvalidOperationException("The run failed: " + error);
        }
        // The host wraps what the source threw (a listing or content failure) in internal exceptions of its own; the
        // public ones of its assembly (SourceThrottledException, SourceTransientException) are the source's own.
        var hostAssembly = typeof(IDocumentSource).Assembly;
        while (logged.InnerException is not null && logged.GetType().Assembly == hostAssembly && !logged.GetType().IsPublic)
        {
            logged = logged.InnerException;
        }
        ExceptionDispatchInfo.Capture(logged).Throw();
    }

    /// <summary>Passes the stream through unchanged and remembers what the source yielded.</summary>
    private sealed class RecordingSource(IDocumentSource inner) : IDocumentSource
    {
        private readonly List<SourceChange> _offered = [];

        public string Name => inner.Name;

        public IReadOnlyList<SourceChange> Offered
        {
            get
            {
                lock (_offered)
                {
                    return _offered.ToList();
                }
            }
        }

        /// <summary>The document last yielded under the event's (qualified) source id.</summary>
        public SourceDocument? DocumentFor(string qualifiedId) =>
            Offered.OfType<SourceDocument>().LastOrDefault(d => Name + "/" + d.SourceId == qualifiedId);

        public async IAsyncEnumerable<SourceChange> ReadChangesAsync(string? checkpoint,
            [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await foreach (var change in inner.ReadChangesAsync(checkpoint, cancellationToken))
            {
                lock (_offered)
                {
                    _offered.Add(change);
                }
                yield return change;
            }
        }
    }

    /// <summary>Keeps the exceptions logged at Error by the host and the connector during a run (the runner logs the failure last).</summary>
    private sealed class ExceptionLog : ILoggerProvider
    {
        private readonly List<Exception> _exceptions = [];

        public void Clear()
        {
            lock (_exceptions)
            {
                _exceptions.Clear();
            }
        }

        public Exception? Last()
        {
            lock (_exceptions)
            {
                return _exceptions.Count == 0 ? null : _exceptions[^1];
            }
        }

        public ILogger CreateLogger(string categoryName) =>
            categoryName.StartsWith("Kmrl.Connectors", StringComparison.Ordinal) ? new Logger(this) : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

        public void Dispose()
        {
        }

        private sealed class Logger(ExceptionLog log) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (exception is not null && logLevel >= LogLevel.Error)
                {
                    lock (log._exceptions)
                    {
                        log._exceptions.Add(exception);
                    }
                }
            }
        }
    }
}
