using Kmrl.DocumentApi.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Kmrl.DocumentApi.Ui.Pages;

/// <summary>The upload page; the files go to <c>POST /ui/upload/files</c> (the upload API behind an antiforgery check).</summary>
[Authorize(Policy = StaffPolicies.Upload)]
public sealed class UploadModel : PageModel
{
    public void OnGet()
    {
    }
}
