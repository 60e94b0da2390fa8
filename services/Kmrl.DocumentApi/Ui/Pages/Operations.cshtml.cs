using Kmrl.DocumentApi.Apis;
using Kmrl.DocumentApi.Model;
using Kmrl.DocumentApi.Pipeline;
using Kmrl.DocumentApi.Ports;
using Kmrl.DocumentApi.Security;
using Kmrl.DocumentApi.Workflows;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;

namespace Kmrl.DocumentApi.Ui.Pages;

/// <summary>
/// Operations: the connectors (their status routes, through the sidecar), the pipeline backlog, dead letters with
/// replay and rejected documents with reprocess. Replay and reprocess are the API's own handlers.
/// </summary>
[Authorize(Policy = StaffPolicies.Operations)]
public sealed class OperationsModel(
    ICatalog catalog, PipelineBacklog backlog, DocumentWorkflowStarter starter, ConnectorStatusReader connectors, TimeProvider time,
    IOptions<ConnectorStatusOptions> connectorOptions) : PageModel
{
    public const int RejectedDays = 7;

    public int Backlog { get; private set; }
    public IReadOnlyList<DeadLetter> DeadLetters { get; private set; } = [];
    public IReadOnlyList<DocumentRecord> Rejected { get; private set; } = [];
    public IReadOnlyList<ConnectorStatusView> Connectors { get; private set; } = [];

    /// <summary>When the statuses were read: the lag figures count from here.</summary>
    public DateTimeOffset Now { get; private set; }

    public ConnectorLag LagOf(ConnectorSourceView source) =>
        ConnectorLag.Of(source, Now, TimeSpan.FromMinutes(connectorOptions.Value.LagWarningMinutes));

    [TempData]
    public string? Message { get; set; }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        Backlog = backlog.Depth;
        DeadLetters = await catalog.ListDeadLettersAsync(cancellationToken);
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        Rejected = (await catalog.QueryAsync(new DocumentQuery(null, null, null, today.AddDays(-(RejectedDays - 1)), today, DocumentStatus.Rejected, 1, 50), cancellationToken)).Items;
        Connectors = await connectors.ReadAllAsync(cancellationToken);
        Now = time.GetUtcNow();
    }

    public async Task<IActionResult> OnPostReplayAsync(string id, CancellationToken cancellationToken)
    {
        var result = await DocumentHandlers.ReplayDeadLetterAsync(id, catalog, starter, cancellationToken);
        Message = result.Result is Accepted<UploadedDocument> accepted ? $"replayed:{accepted.Value!.DocumentId}" : "replay-failed";
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostReprocessAsync(string id, CancellationToken cancellationToken)
    {
        var result = await DocumentHandlers.ReprocessAsync(id, catalog, starter, time, cancellationToken);
        Message = result.Result is Accepted<ReprocessResponse> ? $"reprocessing:{id}" : "reprocess-failed";
        return RedirectToPage();
    }
}
