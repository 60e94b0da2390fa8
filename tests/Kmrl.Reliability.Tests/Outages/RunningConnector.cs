namespace Kmrl.Reliability.Tests.Outages;

/// <summary>A connector app started on its sidecar: where it listens, and how to stop it.</summary>
public sealed record RunningConnector(Uri Address, IAsyncDisposable App);
