using Kmrl.ClaimCheck;
using Kmrl.DocumentApi.Apis;
using Kmrl.DocumentApi.Model;
using Kmrl.DocumentApi.Ports;
using Kmrl.DocumentApi.Processing;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Kmrl.DocumentApi.Ui.Pages;

/// <summary>
/// One document: what the catalog knows, its deadlines and who acknowledged them, the text, the original and the
/// workflow timeline. A document the person does not read is answered 404, exactly like one that does not exist.
/// </summary>
public sealed class DocumentModel(
    ICatalog catalog, DocumentAccess access, IDocumentContentStore content, IDeadlineAcknowledgements acknowledgements,
    IDocumentWorkflows workflows, TimeProvider time) : PageModel
{
    /// <summary>The page shows the text's beginning; the whole text is one click away.</summary>
    public const int TextPreviewChars = 20_000;

    public DocumentRecord Record { get; private set; } = null!;
    public IReadOnlyList<DeadlineView> Deadlines { get; private set; } = [];
    public string Text { get; private set; } = "";
    public DocumentEventsView? Timeline { get; private set; }
    public string? Message { get; private set; }

    public async Task<IActionResult> OnGetAsync(string id, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(id, cancellationToken)) return NotFound();
        Text = await TextBlobs.ReadPrefixAsync(content, Record.TextBlob, TextPreviewChars, cancellationToken);
        if (await DocumentHandlers.GetEventsAsync(id, catalog, workflows, cancellationToken) is { Result: Ok<DocumentEventsView> events })
        {
            Timeline = events.Value;
        }
        return Page();
    }

    public async Task<IActionResult> OnGetOriginalAsync(string id, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(id, cancellationToken)) return NotFound();
        return File(await content.OpenReadAsync(Record.Blob, cancellationToken), Record.ContentType, Record.FileName);
    }

    public async Task<IActionResult> OnGetTextAsync(string id, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(id, cancellationToken) || Record.TextBlob is null) return NotFound();
        return File(await content.OpenReadAsync(Record.TextBlob, cancellationToken), "text/plain; charset=utf-8", Path.GetFileNameWithoutExtension(Record.FileName) + ".txt");
    }

    /// <summary>The searchable PDF/A copy OCRmyPDF made of a scan, under the original's name.</summary>
    public async Task<IActionResult> OnGetArchiveAsync(string id, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(id, cancellationToken) || Record.ArchiveBlob is null) return NotFound();
        return File(await content.OpenReadAsync(Record.ArchiveBlob, cancellationToken), "application/pdf", Path.GetFileNameWithoutExtension(Record.FileName) + ".pdfa.pdf");
    }

    public async Task<IActionResult> OnPostAcknowledgeAsync(string id, string deadline, CancellationToken cancellationToken)
    {
        var result = await InboxApi.AcknowledgeAsync(id, deadline, User, catalog, access, acknowledgements, time, cancellationToken);
        return result.Result switch
        {
            Ok<DeadlineAcknowledgement> => Redirect($"/ui/documents/{Uri.EscapeDataString(id)}#deadlines"),
            ProblemHttpResult { StatusCode: StatusCodes.Status404NotFound } => NotFound(),
            _ => Forbid(),
        };
    }

    public bool CanAcknowledge =>
        User.ReadsAllDepartmentsOrAdminOf(Record.Departments);

    private async Task<bool> LoadAsync(string id, CancellationToken cancellationToken)
    {
        var record = await catalog.GetAsync(id, cancellationToken);
        if (record is null || !access.CanRead(User, record)) return false;
        Record = record;
        var deadlines = (record.KeyFields ?? KeyFields.None).Deadlines.Distinct().Order().ToList();
        var acknowledged = (await acknowledgements.ForAsync(id, deadlines, cancellationToken)).ToDictionary(a => a.Deadline);
        Deadlines = deadlines.Select(d => new DeadlineView(d, acknowledged.GetValueOrDefault(d))).ToList();
        return true;
    }
}
