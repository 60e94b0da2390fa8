using Kmrl.DocumentApi.Extensions;
using Microsoft.Extensions.Options;

namespace Kmrl.DocumentApi.Pipeline;

/// <summary>
/// Lets at most <see cref="PipelineOptions.MaxConcurrentCpuActivities"/> CPU-bound steps (text extraction: PDF parsing,
/// OCR, Office) run at once in this process, so a backlog cannot take every core from the upload endpoint and from the
/// I/O-bound activities. Dapr.Workflow 1.19 has no worker-side limit (its MaxConcurrentActivities is obsolete and
/// unused); the sidecar's <c>spec.workflow.maxConcurrentActivityInvocations</c> bounds how many activities are handed
/// to the app at all, and so how many can wait here.
/// </summary>
public sealed class CpuWorkLimiter
{
    private readonly SemaphoreSlim _slots;

    public CpuWorkLimiter(IOptions<PipelineOptions> options)
    {
        Limit = options.Value.EffectiveCpuConcurrency;
        _slots = new SemaphoreSlim(Limit, Limit);
    }

    public int Limit { get; }

    public int InUse => Limit - _slots.CurrentCount;

    public async Task<T> RunAsync<T>(Func<Task<T>> work, CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken);
        try
        {
            return await work();
        }
        finally
        {
            _slots.Release();
        }
    }
}
