using Kmrl.ServiceDefaults.Security;
using Microsoft.AspNetCore.Authorization;

namespace Kmrl.DocumentApi.Security;

/// <summary>
/// Who may do what on the staff pages and the routes people use. A person never gets the machines' <c>read</c> or
/// <c>upload</c> roles: <c>/documents</c> stays for API keys, so nothing there has to know about departments.
/// </summary>
public static class StaffPolicies
{
    /// <summary>Any signed-in member of staff.</summary>
    public const string Staff = "staff";

    /// <summary>Department admins, operations and administrators.</summary>
    public const string Upload = "staff.upload";

    /// <summary>Operations and administrators.</summary>
    public const string Operations = "staff.operations";

    /// <summary><c>GET /search</c> and the inbox: an API key with <c>read</c>, or a person (scoped to their departments).</summary>
    public const string Search = "documents.search";

    /// <summary>Acknowledging a deadline: an API key with <c>upload</c>, or a department admin, operations, administrator.</summary>
    public const string Acknowledge = "documents.acknowledge";

    public static readonly IReadOnlyList<string> UploadRoles = [StaffRoles.DepartmentAdmin, StaffRoles.Operations, StaffRoles.Administrator];

    public static AuthorizationBuilder AddStaffPolicies(this AuthorizationBuilder authorization) => authorization
        .AddPolicy(Staff, p => p.RequireAssertion(c => c.User.IsStaff()))
        .AddPolicy(Upload, p => p.RequireAssertion(c => c.User.IsStaff() && UploadRoles.Any(c.User.IsInRole)))
        .AddPolicy(Operations, p => p.RequireAssertion(c => c.User.IsStaff() && StaffRoles.AllDepartments.Any(c.User.IsInRole)))
        .AddPolicy(Search, p => p.RequireAssertion(c => c.User.IsStaff() || c.User.IsInRole(ApiRoles.Read)))
        .AddPolicy(Acknowledge, p => p.RequireAssertion(c =>
            (c.User.IsStaff() && UploadRoles.Any(c.User.IsInRole)) || (!c.User.IsStaff() && c.User.IsInRole(ApiRoles.Upload))));
}
