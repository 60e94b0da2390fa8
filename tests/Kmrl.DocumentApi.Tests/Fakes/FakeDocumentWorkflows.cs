using System.Collections.Concurrent;
using Kmrl.DocumentApi.Ports;

namespace Kmrl.DocumentApi.Tests.Fakes;

/// <summary>
/// The workflow runtime as the API sees it: an instance id that is there refuses a second schedule (Dapr answers
/// Unknown for an active one, which the adapter reports as false), state and history are readable. No worker runs;
/// the workflow is tested on its own.
/// </summary>
public sealed class FakeDocumentWorkflows : IDocumentWorkflows
{
    public ConcurrentDictionary<string, DocumentIntake> Instances { get; } = new();

    public ConcurrentDictionary<string, IReadOnlyList<WorkflowRunEvent>> Histories { get; } = new();

    private int _scheduleCalls;

    public int ScheduleCalls => _scheduleCalls;

    /// <summary>The engine does not answer (busy or down): every call fails, so a test sees who depends on it.</summary>
    public bool Unreachable { get; set; }

    public Task<WorkflowRunState> GetStateAsync(string instanceId, CancellationToken cancellationToken)
    {
        ThrowIfUnreachable();
        return Task.FromResult(Instances.ContainsKey(instanceId)
            ? new WorkflowRunState(true, "Running", "extract", null)
            : new WorkflowRunState(false, "Unknown", null, null));
    }

    public Task<bool> TryScheduleAsync(string instanceId, DocumentIntake intake, CancellationToken cancellationToken)
    {
        ThrowIfUnreachable();
        Interlocked.Increment(ref _scheduleCalls);
        return Task.FromResult(Instances.TryAdd(instanceId, intake));
    }

    private void ThrowIfUnreachable()
    {
        if (Unreachable) throw new InvalidOperationException("The workflow engine is not reachable (test).");
    }

    /// <summary>As Dapr before 1.17, which has no GetInstanceHistory.</summary>
    public bool HistoryUnavailable { get; set; }

    public Task<IReadOnlyList<WorkflowRunEvent>?> GetHistoryAsync(string instanceId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<WorkflowRunEvent>?>(HistoryUnavailable ? null : Histories.TryGetValue(instanceId, out var history) ? history : []);
}
