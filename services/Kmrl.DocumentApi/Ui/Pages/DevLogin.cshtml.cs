using Kmrl.ServiceDefaults.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;

namespace Kmrl.DocumentApi.Ui.Pages;

/// <summary>The development login's form (posted to <c>/signin/development</c>); 404 unless the sign-in mode is development.</summary>
[AllowAnonymous]
public sealed class DevLoginModel(IOptions<StaffSignInOptions> options) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public IActionResult OnGet() => options.Value.Mode == StaffSignInModes.Development ? Page() : NotFound();
}
