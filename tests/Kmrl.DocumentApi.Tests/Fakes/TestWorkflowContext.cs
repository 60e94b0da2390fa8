using Dapr.Workflow;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kmrl.DocumentApi.Tests.Fakes;

/// <summary>
/// Runs a workflow's activity calls against scripted handlers, applying the retry policy the workflow passes the
/// way the runtime does: up to MaxNumberOfAttempts tries, then a WorkflowTaskFailedException.
/// </summary>
public sealed class TestWorkflowContext(string instanceId) : WorkflowContext
{
    private static readonly System.Text.Json.JsonSerializerOptions WireJson = new(System.Text.Json.JsonSerializerDefaults.Web);

    private readonly Dictionary<string, Func<object?, Task<object?>>> _activities = new(StringComparer.Ordinal);

    public List<(string Name, object? Input, WorkflowTaskOptions? Options)> Calls { get; } = [];

    public List<object?> CustomStatuses { get; } = [];

    public Dictionary<string, int> Attempts { get; } = new(StringComparer.Ordinal);

    public TestWorkflowContext On<TInput, TOutput>(string activity, Func<TInput, TOutput> handler)
    {
        _activities[activity] = input => Task.FromResult<object?>(handler((TInput)input!));
        return this;
    }

    /// <summary>
    /// Runs a real activity; inputs and outputs cross a JSON round trip as they do between the sidecar and the
    /// worker, so a record that does not survive serialisation fails here.
    /// </summary>
    public TestWorkflowContext Run<TInput, TOutput>(WorkflowActivity<TInput, TOutput> activity)
    {
        _activities[activity.GetType().Name] = async input =>
        {
            var wireInput = RoundTrip<TInput>(input);
            var output = await activity.RunAsync(new TestActivityContext(InstanceId), wireInput);
            return RoundTrip<TOutput>(output);
        };
        return this;
    }

    private static T RoundTrip<T>(object? value) =>
        System.Text.Json.JsonSerializer.Deserialize<T>(System.Text.Json.JsonSerializer.Serialize(value, WireJson), WireJson)!;

    public override string Name => "DocumentProcessingWorkflow";

    public override string InstanceId => instanceId;

    public override DateTime CurrentUtcDateTime => new(2026, 11, 27, 0, 0, 0, DateTimeKind.Utc);

    public override bool IsReplaying => false;

    public override bool IsPatched(string patchName) => true;

    public override async Task<T> CallActivityAsync<T>(string name, object? input = null, WorkflowTaskOptions? options = null) =>
        (T)(await CallAsync(name, input, options))!;

    public override Task CallActivityAsync(string name, object? input = null, WorkflowTaskOptions? options = null) =>
        CallAsync(name, input, options);

    private async Task<object?> CallAsync(string name, object? input, WorkflowTaskOptions? options)
    {
        Calls.Add((name, input, options));
        if (!_activities.TryGetValue(name, out var handler))
        {
            throw new InvalidOperationException($"The test scripted no activity '{name}'.");
        }
        var maxAttempts = options?.RetryPolicy?.MaxNumberOfAttempts ?? 1;
        for (var attempt = 1; ; attempt++)
        {
            Attempts[name] = Attempts.GetValueOrDefault(name) + 1;
            try
            {
                return await handler(input);
            }
            catch (Exception ex) when (ex is not WorkflowTaskFailedException)
            {
                if (attempt >= maxAttempts)
                {
                    throw new WorkflowTaskFailedException(
                        $"Task '{name}' failed.", new WorkflowTaskFailureDetails(ex.GetType().FullName!, ex.Message, null));
                }
            }
        }
    }

    public override void SetCustomStatus(object? customStatus) => CustomStatuses.Add(customStatus);

    public override Guid NewGuid() => new("00000000-0000-0000-0000-000000000001");

    public override ILogger CreateReplaySafeLogger(string categoryName) => NullLogger.Instance;

    public override ILogger CreateReplaySafeLogger(Type type) => NullLogger.Instance;

    public override ILogger CreateReplaySafeLogger<T>() => NullLogger.Instance;

    // The processing workflow uses no timers, events, child workflows or continue-as-new; reaching one is a test failure.
    public override Task CreateTimer(TimeSpan delay, CancellationToken cancellationToken = default) => throw Unused();

    public override Task CreateTimer(DateTime fireAt, CancellationToken cancellationToken = default) => throw Unused();

    public override Task<T> WaitForExternalEventAsync<T>(string eventName, CancellationToken cancellationToken = default) => throw Unused();

    public override Task<T> WaitForExternalEventAsync<T>(string eventName, TimeSpan timeout) => throw Unused();

    public override void SendEvent(string instanceId, string eventName, object payload) => throw Unused();

    public override Task<TResult> CallChildWorkflowAsync<TResult>(string workflowName, object? input = null, ChildWorkflowTaskOptions? options = null) => throw Unused();

    public override Task CallChildWorkflowAsync(string workflowName, object? input = null, ChildWorkflowTaskOptions? options = null) => throw Unused();

    public override void ContinueAsNew(object? newInput = null, bool preserveUnprocessedEvents = true) => throw Unused();

    public override PropagatedHistory? GetPropagatedHistory() => null;

    private static InvalidOperationException Unused() => new("The document workflow is not expected to use this.");
}
