using System.Security.Claims;
using Kmrl.ServiceDefaults.Security;

namespace Kmrl.DocumentApi.Ui;

public static class StaffUser
{
    /// <summary>Operations and administrators, or a department admin of one of these departments (who may acknowledge).</summary>
    public static bool ReadsAllDepartmentsOrAdminOf(this ClaimsPrincipal user, IReadOnlyList<string> departments) =>
        user.ReadsAllDepartments() || (user.IsInRole(StaffRoles.DepartmentAdmin) && departments.Any(user.Departments().Contains));
}
