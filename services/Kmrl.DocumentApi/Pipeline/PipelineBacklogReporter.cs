using Kmrl.BuildingBlocks.PubSub;
using Kmrl.Contracts;
using Kmrl.DocumentApi.Extensions;
using Microsoft.Extensions.Options;

namespace Kmrl.DocumentApi.Pipeline;

/// <summary>
/// Publishes <see cref="PipelineBacklogHigh"/> every <see cref="PipelineOptions.BacklogReportInterval"/> while this
/// replica's backlog is past <see cref="PipelineOptions.BacklogDegradedDepth"/> (the health check's depth). Reports,
/// not transitions: the notifications service keeps the incident and closes it when no replica has reported for a
/// while, so several replicas, a restart or a replica that died cannot leave it open or make it flap.
/// </summary>
public sealed partial class PipelineBacklogReporter(
    PipelineBacklog backlog, IEventPublisher events, IOptions<PipelineOptions> options, TimeProvider time,
    ILogger<PipelineBacklogReporter> logger) : BackgroundService
{
    private PeriodicTimer? _timer;

    /// <summary>The timer starts with the host, not when the background loop first runs (.NET runs it later, on the pool).</summary>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        _timer = new PeriodicTimer(options.Value.BacklogReportInterval, time);
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = _timer ?? new PeriodicTimer(options.Value.BacklogReportInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await ReportAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>One look at the backlog; public for the tests' clock.</summary>
    public async Task<bool> ReportAsync(CancellationToken cancellationToken)
    {
        var depth = backlog.Depth;
        var threshold = options.Value.BacklogDegradedDepth;
        if (depth <= threshold) return false;
        try
        {
            await events.PublishAsync(DaprNames.Topics.PipelineBacklogHigh,
                new PipelineBacklogHigh(Environment.MachineName, depth, threshold, time.GetUtcNow()), cancellationToken);
            return true;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // The next interval reports again; the health check and the gauge say the same meanwhile.
            LogReportFailed(logger, exception, depth);
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reporting a pipeline backlog of {Depth} failed; reported again at the next interval")]
    private static partial void LogReportFailed(ILogger logger, Exception exception, int depth);
}
