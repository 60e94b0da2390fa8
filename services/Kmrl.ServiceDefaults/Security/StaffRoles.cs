using System.Security.Claims;

namespace Kmrl.ServiceDefaults.Security;

/// <summary>What a signed-in member of staff may do; carried as <see cref="ClaimTypes.Role"/> claims.</summary>
public static class StaffRoles
{
    /// <summary>Reads the documents routed to the departments in their <see cref="StaffClaimTypes.Department"/> claims.</summary>
    public const string Reader = "reader";

    /// <summary>A reader who also acknowledges deadlines and uploads for their departments.</summary>
    public const string DepartmentAdmin = "department-admin";

    /// <summary>Every department's documents, the connectors, the backlog, dead letters and rejected documents.</summary>
    public const string Operations = "operations";

    /// <summary>Everything operations may, and the search rebuild.</summary>
    public const string Administrator = "administrator";

    public static readonly IReadOnlyList<string> All = [Reader, DepartmentAdmin, Operations, Administrator];

    /// <summary>Roles that read every department.</summary>
    public static readonly IReadOnlyList<string> AllDepartments = [Operations, Administrator];
}

public static class StaffClaimTypes
{
    /// <summary>One claim per department the person reads.</summary>
    public const string Department = "kmrl:department";
}

/// <summary>
/// Builds the principal of a member of staff, from the sign-in (Entra ID app roles) or the development login. Only the
/// name, the staff roles and the departments are kept: the cookie stays small and nothing else of the token is trusted.
/// </summary>
public static class StaffPrincipal
{
    /// <summary>The identity's authentication type: never the API-key scheme, so a person never reads as a machine.</summary>
    public const string AuthenticationType = "Kmrl.Staff";

    public static ClaimsPrincipal Create(string name, IEnumerable<string> roles, IEnumerable<string> departments)
    {
        var claims = new List<Claim> { new(ClaimTypes.Name, name) };
        claims.AddRange(roles.Where(r => StaffRoles.All.Contains(r, StringComparer.Ordinal)).Distinct(StringComparer.Ordinal)
            .Select(r => new Claim(ClaimTypes.Role, r)));
        claims.AddRange(departments.Select(d => d.Trim().ToLowerInvariant()).Where(d => d.Length > 0).Distinct(StringComparer.Ordinal)
            .Select(d => new Claim(StaffClaimTypes.Department, d)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, AuthenticationType, ClaimTypes.Name, ClaimTypes.Role));
    }

    /// <summary>
    /// Entra ID app roles (the token's <c>roles</c> claim) to staff roles and departments: <c>reader.&lt;department&gt;</c>,
    /// <c>department-admin.&lt;department&gt;</c>, <c>operations</c>, <c>administrator</c>. App roles are assigned to
    /// users or groups in the enterprise application, so KMRL manages who reads what where it manages its people.
    /// Unknown values are ignored.
    /// </summary>
    public static ClaimsPrincipal FromAppRoles(string name, IEnumerable<string> appRoles)
    {
        var roles = new List<string>();
        var departments = new List<string>();
        foreach (var value in appRoles)
        {
            var dot = value.IndexOf('.', StringComparison.Ordinal);
            var role = dot < 0 ? value : value[..dot];
            var department = dot < 0 ? null : value[(dot + 1)..];
            switch (role)
            {
                case StaffRoles.Reader or StaffRoles.DepartmentAdmin when !string.IsNullOrWhiteSpace(department):
                    roles.Add(StaffRoles.Reader);
                    if (role == StaffRoles.DepartmentAdmin) roles.Add(StaffRoles.DepartmentAdmin);
                    departments.Add(department);
                    break;
                case StaffRoles.Operations or StaffRoles.Administrator when department is null:
                    roles.Add(role);
                    break;
            }
        }
        return Create(name, roles, departments);
    }

    public static bool IsStaff(this ClaimsPrincipal user) =>
        user.Identities.Any(i => i.IsAuthenticated && i.AuthenticationType == AuthenticationType);

    public static IReadOnlyList<string> Departments(this ClaimsPrincipal user) =>
        user.FindAll(StaffClaimTypes.Department).Select(c => c.Value).ToList();

    public static bool ReadsAllDepartments(this ClaimsPrincipal user) => StaffRoles.AllDepartments.Any(user.IsInRole);
}
