using Kmrl.DocumentApi.Model;

namespace Kmrl.DocumentApi.Ports;

public sealed record WorkflowRunState(bool Exists, string RuntimeStatus, string? CustomStatus, string? Failure);

public sealed record WorkflowRunEvent(int EventId, string Type, DateTime Timestamp);

/// <summary>The processing workflow runtime as the API needs it: schedule by instance id, read state and history.</summary>
public interface IDocumentWorkflows
{
    Task<WorkflowRunState> GetStateAsync(string instanceId, CancellationToken cancellationToken);

    /// <summary>Schedules a run; false when an instance with that id already exists.</summary>
    Task<bool> TryScheduleAsync(string instanceId, DocumentIntake intake, CancellationToken cancellationToken);

    Task<IReadOnlyList<WorkflowRunEvent>> GetHistoryAsync(string instanceId, CancellationToken cancellationToken);
}
