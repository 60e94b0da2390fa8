namespace Kmrl.Reliability.Tests.BadInput;

/// <summary>Runs the steps of a scenario one after the other in the background; each theory row awaits its own step.</summary>
public sealed class SourceScenario<TContext>
{
    private readonly Dictionary<string, TaskCompletionSource<string>> _outcomes = new(StringComparer.Ordinal);

    public SourceScenario(TContext context, IReadOnlyList<SourceCase<TContext>> steps)
    {
        foreach (var step in steps)
        {
            _outcomes[step.Name] = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        Completion = Task.Run(async () =>
        {
            foreach (var step in steps)
            {
                try
                {
                    _outcomes[step.Name].SetResult(await step.Run(context));
                }
                catch (Exception exception)
                {
                    _outcomes[step.Name].SetResult($"test-error:{exception.GetType().Name}: {exception.Message}");
                }
            }
        });
    }

    public Task Completion { get; }

    public Task<string> OutcomeOfAsync(string caseName) => _outcomes[caseName].Task;

    public static TheoryData<string, string> Table(IReadOnlyList<SourceCase<TContext>> steps)
    {
        var data = new TheoryData<string, string>();
        foreach (var step in steps)
        {
            data.Add(step.Name, step.Expected);
        }
        return data;
    }
}
