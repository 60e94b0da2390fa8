using Kmrl.DocumentApi.Model;

namespace Kmrl.DocumentApi.Ports;

/// <summary>A workflow run as the API shows it: its status, its stage (the custom status) and why it failed.</summary>
public sealed record WorkflowRunState(bool Exists, string RuntimeStatus, string? CustomStatus, string? Failure);

public sealed record WorkflowRunEvent(int EventId, string Type, DateTime Timestamp);

/// <summary>The processing workflow runtime as the API needs it: schedule by instance id, read state and history.</summary>
public interface IDocumentWorkflows
{
    Task<WorkflowRunState> GetStateAsync(string instanceId, CancellationToken cancellationToken);

    /// <summary>
    /// Schedules a run; false when the runtime refused because a run with that id is there (another start won).
    /// The runtime starts an id whose run has finished afresh, so whether a document may run again is decided from
    /// the catalog, not here.
    /// </summary>
    Task<bool> TryScheduleAsync(string instanceId, DocumentIntake intake, CancellationToken cancellationToken);

    /// <summary>The run's history events; null when the runtime cannot list them (Dapr before 1.17).</summary>
    Task<IReadOnlyList<WorkflowRunEvent>?> GetHistoryAsync(string instanceId, CancellationToken cancellationToken);
}
