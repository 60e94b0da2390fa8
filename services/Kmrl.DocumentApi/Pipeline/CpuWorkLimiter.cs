using Kmrl.DocumentApi.Extensions;
using Microsoft.Extensions.Options;

namespace Kmrl.DocumentApi.Pipeline;

/// <summary>
/// Lets at most <see cref="PipelineOptions.MaxConcurrentCpuActivities"/> CPU-bound steps (text extraction: PDF parsing,
/// OCR, Office) run at once in this process, so a backlog cannot take every core from the upload endpoint and from the
/// I/O-bound activities. Dapr.Workflow 1.19 has no worker-side limit (its MaxConcurrentActivities is obsolete and
/// unused); the sidecar's <c>spec.workflow.maxConcurrentActivityInvocations</c> bounds how many activities are handed
/// to the app at all, and so how many can wait here.
/// A freed slot goes to interactive work first (uploads, push arrivals): the bulk lane bounds how many import
/// documents are in the engine, but those that are all wait here, and P4b measured an arrival waiting behind every one
/// of them. Bulk work waits while interactive work does; interactive arrivals are few, so the import is not starved.
/// </summary>
public sealed class CpuWorkLimiter
{
    private readonly Lock _gate = new();
    private readonly Queue<TaskCompletionSource> _interactive = new();
    private readonly Queue<TaskCompletionSource> _bulk = new();
    private int _free;

    public CpuWorkLimiter(IOptions<PipelineOptions> options)
    {
        Limit = options.Value.EffectiveCpuConcurrency;
        _free = Limit;
    }

    public int Limit { get; }

    public int InUse
    {
        get
        {
            lock (_gate)
            {
                return Limit - _free;
            }
        }
    }

    public async Task<T> RunAsync<T>(Func<Task<T>> work, CancellationToken cancellationToken, bool bulk = false)
    {
        await AcquireAsync(bulk, cancellationToken);
        try
        {
            return await work();
        }
        finally
        {
            Release();
        }
    }

    private Task AcquireAsync(bool bulk, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            // No overtaking: a free slot is only taken directly when nobody of this priority or higher waits.
            if (_free > 0 && _interactive.Count == 0 && (!bulk || _bulk.Count == 0))
            {
                _free--;
                return Task.CompletedTask;
            }
            var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            (bulk ? _bulk : _interactive).Enqueue(waiter);
            if (cancellationToken.CanBeCanceled)
            {
                // A cancelled waiter stays queued; Release skips it (TrySetResult fails on it).
                cancellationToken.Register(() => waiter.TrySetCanceled(cancellationToken));
            }
            return waiter.Task;
        }
    }

    private void Release()
    {
        lock (_gate)
        {
            while (_interactive.TryDequeue(out var next) || _bulk.TryDequeue(out next))
            {
                if (next.TrySetResult())
                {
                    return; // the slot passes to it
                }
            }
            _free++;
        }
    }
}
