using Kmrl.DocumentApi.Apis;
using Kmrl.DocumentApi.Model;

namespace Kmrl.DocumentApi.Ui;

/// <summary>One step of a run as the document page shows it: a stage (a <see cref="Stages"/> name or an outcome) and its time.</summary>
/// <param name="Stage">"validate" ... "catalog", or the run's end: "processed", "rejected", "duplicate".</param>
/// <param name="State">done, failed (the run stopped there), current (under way), or end.</param>
/// <param name="FailedAttempts">Tries of the stage that failed and were retried (transient failures).</param>
public sealed record TimelineStep(string Stage, string State, DateTime? At, int FailedAttempts);

/// <summary>A workflow run in plain stages, for the page's processing timeline.</summary>
public sealed record TimelineRun(string Run, IReadOnlyList<TimelineStep> Steps);

/// <summary>
/// The workflow history in the pipeline's stages, not Dapr's event types. The SDK's history gives each event's type
/// and time but not the activity's name (Dapr.Workflow WorkflowHistoryEvent), so the stages come from the workflow's
/// fixed order (DocumentProcessingWorkflow): each stage's activity completes at most once (retries add failures, not
/// completions), so the n-th TaskCompleted ends the n-th stage; the run's stage (its custom status) says where it is
/// or stopped, and the record's rejection which stage refused the document.
/// </summary>
public static class ProcessingTimeline
{
    public const string Done = "done";
    public const string Failed = "failed";
    public const string Current = "current";
    public const string End = "end";

    /// <summary>The workflow's stages in the order it runs them.</summary>
    public static readonly IReadOnlyList<string> Order =
        [Stages.Validate, Stages.Dedupe, Stages.Extract, Stages.Language, Stages.Classify, Stages.Summarise, Stages.Catalog];

    public static IReadOnlyList<TimelineRun> Of(DocumentEventsView view, DocumentRecord? record) =>
        view.Runs.Select(run => Of(run, view.Events.Where(e => e.Run == run.Run).ToList(), record)).ToList();

    private static TimelineRun Of(WorkflowRunView run, IReadOnlyList<WorkflowEventView> events, DocumentRecord? record)
    {
        var completed = Times(events, "TaskCompleted");
        // History order is the run's order (event ids are -1 on most event types).
        var finished = run.RuntimeStatus == "Completed";
        var running = run.RuntimeStatus is "Running" or "Pending";
        var end = events.LastOrDefault(e => e.Type == "ExecutionCompleted")?.Timestamp;
        // Where the run is, or where it stopped.
        var (reached, outcome) = run.Stage switch
        {
            "processed" => (Order.Count, "processed"),
            "rejected" => (Math.Max(0, IndexOf(record?.Rejection?.Stage ?? Order[Math.Max(0, completed.Count - 1)])) + 1, "rejected"),
            // The workflow ends at dedupe, without a further status, for a copy of an earlier document.
            Stages.Dedupe when finished => (2, "duplicate"),
            { } stage when IndexOf(stage) >= 0 => (IndexOf(stage) + 1, null),
            _ => (Math.Min(completed.Count, Order.Count), null),
        };
        var failures = FailuresPerStage(events);
        var steps = new List<TimelineStep>();
        for (var i = 0; i < reached; i++)
        {
            var at = i < completed.Count ? completed[i] : (DateTime?)null;
            var last = i == reached - 1;
            // A rejected run stopped at its last stage (refused by the stage's answer, or the stage failed).
            var state = last && outcome == "rejected" ? Failed
                : at is not null ? Done
                : last && running ? Current
                : Failed;
            steps.Add(new TimelineStep(Order[i], state, at, failures.GetValueOrDefault(i)));
        }
        if (outcome is not null) steps.Add(new TimelineStep(outcome, End, end ?? completed.LastOrDefault(), 0));
        return new TimelineRun(run.Run, steps);
    }

    private static int IndexOf(string stage) => Order.ToList().IndexOf(stage);

    private static List<DateTime> Times(IEnumerable<WorkflowEventView> events, string type) =>
        events.Where(e => e.Type == type).Select(e => e.Timestamp).ToList();

    /// <summary>Failed tries per stage: a TaskFailed belongs to the stage the completions so far have reached.</summary>
    private static Dictionary<int, int> FailuresPerStage(IEnumerable<WorkflowEventView> events)
    {
        var failures = new Dictionary<int, int>();
        var stage = 0;
        foreach (var e in events)
        {
            if (e.Type == "TaskCompleted") stage++;
            else if (e.Type == "TaskFailed") failures[stage] = failures.GetValueOrDefault(stage) + 1;
        }
        return failures;
    }
}
