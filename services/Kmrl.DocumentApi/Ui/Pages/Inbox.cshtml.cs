using Kmrl.DocumentApi.Apis;
using Kmrl.DocumentApi.Ports;
using Kmrl.ServiceDefaults.Security;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Kmrl.DocumentApi.Ui.Pages;

/// <summary>A department's inbox: open deadlines first; opening it records the visit, so next time only later arrivals are new.</summary>
public sealed class InboxModel(DepartmentInbox inbox, ICatalog catalog, DocumentAccess access, IDeadlineAcknowledgements acknowledgements, TimeProvider time) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public string? Department { get; set; }

    public IReadOnlyList<string> Departments { get; private set; } = [];
    public InboxView? View { get; private set; }
    public DateOnly Today { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        Departments = User.Departments();
        Today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        Department ??= Departments.FirstOrDefault();
        if (Department is null) return Page();
        View = await inbox.ReadAsync(User, Department, recordVisit: true, cancellationToken);
        return View is null ? NotFound() : Page();
    }

    public async Task<IActionResult> OnPostAcknowledgeAsync(string id, string deadline, CancellationToken cancellationToken)
    {
        var result = await InboxApi.AcknowledgeAsync(id, deadline, User, catalog, access, acknowledgements, time, cancellationToken);
        return result.Result switch
        {
            Ok<DeadlineAcknowledgement> => Redirect($"/ui/inbox?department={Uri.EscapeDataString(Department ?? "")}"),
            ProblemHttpResult { StatusCode: StatusCodes.Status404NotFound } => NotFound(),
            _ => Forbid(),
        };
    }
}
