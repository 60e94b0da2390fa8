using Kmrl.DocumentApi.Apis;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.Net.Http.Headers;

namespace Kmrl.DocumentApi.Security;

/// <summary>
/// Antiforgery for JSON routes a signed-in person's browser may call. A request without <c>Authorization</c> is
/// authenticated by the staff cookie (ServiceDefaults' policy scheme), which a browser attaches on its own, so it must
/// carry the page's antiforgery token in the <c>RequestVerificationToken</c> header. SameSite=Lax alone keeps the
/// cookie off cross-site POSTs only in browsers that honour it, and not from a sibling subdomain. A request with
/// <c>Authorization</c> (an API key) cannot be forged by another page: a browser adds that header only when a script
/// of the same origin sets it, so machines need no token.
/// </summary>
public static class CookieAntiforgery
{
    public static async ValueTask<object?> ValidateAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (!http.Request.Headers.ContainsKey(HeaderNames.Authorization)
            && !await http.RequestServices.GetRequiredService<IAntiforgery>().IsRequestValidAsync(http))
        {
            return UploadHandlers.Problem(StatusCodes.Status400BadRequest,
                "A signed-in call needs the page's antiforgery token in the RequestVerificationToken header; reload the page.");
        }
        return await next(context);
    }
}
