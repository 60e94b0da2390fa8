using System.Security.Claims;
using Kmrl.DocumentApi.Security;
using Kmrl.Search;
using Kmrl.ServiceDefaults.Security;

namespace Kmrl.DocumentApi.Search;

/// <summary>The claims a signed-in person's departments and roles come in (the OpenID Connect sign-in maps to these).</summary>
public static class StaffClaims
{
    /// <summary>One claim per department the person reads.</summary>
    public const string Department = StaffClaimTypes.Department;

    /// <summary>Roles that read every department.</summary>
    public static readonly IReadOnlyList<string> AllDepartmentRoles = StaffRoles.AllDepartments;
}

/// <summary>Turns the caller into the set of departments they may read; the engines filter inside the query by it.</summary>
public interface IAccessScopeResolver
{
    AccessScope ScopeOf(ClaimsPrincipal user);
}

/// <summary>
/// Machines with an API key read everything, as they do through <c>/documents</c>; a person reads the departments in
/// their claims, or everything as administrator or operations; anyone else reads nothing.
/// </summary>
public sealed class ClaimsAccessScopeResolver : IAccessScopeResolver
{
    public AccessScope ScopeOf(ClaimsPrincipal user)
    {
        if (user.Identities.Any(i => i.IsAuthenticated && i.AuthenticationType == ApiKeyAuthenticationHandler.SchemeName))
        {
            return AccessScope.All;
        }
        if (StaffClaims.AllDepartmentRoles.Any(user.IsInRole))
        {
            return AccessScope.All;
        }
        var departments = user.FindAll(StaffClaims.Department).Select(c => c.Value).ToList();
        return departments.Count == 0 ? AccessScope.None : AccessScope.ForDepartments(departments);
    }
}
