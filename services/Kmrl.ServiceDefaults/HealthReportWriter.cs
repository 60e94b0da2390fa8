using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Kmrl.ServiceDefaults;

/// <summary>
/// Writes a health report as JSON. Probes and anonymous callers get the status only; an authenticated caller (an
/// operator's API key) also sees which check failed and why, since descriptions carry last errors and source names.
/// </summary>
public static class HealthReportWriter
{
    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        if (context.User.Identity?.IsAuthenticated != true)
        {
            return JsonSerializer.SerializeAsync(context.Response.Body, new { status = report.Status.ToString() }, KmrlJson.Options, context.RequestAborted);
        }
        var body = new
        {
            status = report.Status.ToString(),
            totalDurationMs = report.TotalDuration.TotalMilliseconds,
            checks = report.Entries.ToDictionary(
                entry => entry.Key,
                entry => new
                {
                    status = entry.Value.Status.ToString(),
                    description = entry.Value.Description,
                    data = entry.Value.Data.Count == 0 ? null : entry.Value.Data,
                }),
        };
        return JsonSerializer.SerializeAsync(context.Response.Body, body, KmrlJson.Options, context.RequestAborted);
    }
}
