using System.Security.Claims;
using Kmrl.DocumentApi.Model;
using Kmrl.DocumentApi.Search;
using Kmrl.Search;
using Microsoft.Extensions.Options;

namespace Kmrl.DocumentApi.Ui;

/// <summary>
/// Whether a caller reads a catalog record: the search index's own rule (departments, confidential types narrowed to
/// their owners), so a page never shows what a search would not find. A refused read is answered as "not found".
/// </summary>
public sealed class DocumentAccess(IAccessScopeResolver scopes, IOptions<SearchAccessOptions> access)
{
    public AccessScope ScopeOf(ClaimsPrincipal user) => scopes.ScopeOf(user);

    public bool CanRead(ClaimsPrincipal user, DocumentRecord record) =>
        access.Value.CanRead(scopes.ScopeOf(user), record.DocumentType, record.Departments);

    public bool ReadsDepartment(ClaimsPrincipal user, string department)
    {
        var scope = scopes.ScopeOf(user);
        return scope.IsAll || scope.Departments.Contains(department);
    }
}
