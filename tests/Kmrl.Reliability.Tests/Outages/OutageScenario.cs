using Kmrl.Dapr.Testing;

namespace Kmrl.Reliability.Tests.Outages;

/// <summary>
/// One source system taken down for the outage test: how to start its connector, put documents into it, stop it
/// and bring it back. Documents are named by a key ("before-1", "down-2"); the scenario turns a key into a file.
/// </summary>
public sealed record OutageScenario(
    string Server,
    string AppId,
    string ScheduleBinding,
    string SourceName,
    Action<DaprTestOptions> Secrets,
    Func<DaprSidecar, Task<RunningConnector>> StartConnectorAsync,
    Func<string, Task> AddDocumentAsync,
    Func<Task> StopServerAsync,
    Func<Task> RestartServerAsync,
    bool CanReceiveWhileDown);
