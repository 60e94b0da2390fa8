using Kmrl.Dapr.Testing;

namespace Kmrl.Reliability.Tests.CrashConsistency;

/// <summary>
/// Fires a cron input binding at a fixed interval until disposed, as daprd's schedule would (compressed from
/// minutes to about a second). A tick that finds the app dead (killed on purpose) is counted, not thrown.
/// </summary>
public sealed class CronTicker : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _accepted;
    private int _unanswered;

    private CronTicker(DaprSidecar sidecar, string binding, TimeSpan interval)
    {
        _loop = Task.Run(() => TickAsync(sidecar, binding, interval));
    }

    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Ticks the app did not answer (it was being killed or was not up yet).</summary>
    public int Unanswered => Volatile.Read(ref _unanswered);

    public static CronTicker Start(DaprSidecar sidecar, string binding, TimeSpan interval) => new(sidecar, binding, interval);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }

    private async Task TickAsync(DaprSidecar sidecar, string binding, TimeSpan interval)
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var status = await sidecar.FireCronAsync(binding);
                if ((int)status is >= 200 and < 300)
                {
                    Interlocked.Increment(ref _accepted);
                }
                else
                {
                    Interlocked.Increment(ref _unanswered);
                }
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
            {
                Interlocked.Increment(ref _unanswered);
            }
            await Task.Delay(interval, _stop.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }
}
