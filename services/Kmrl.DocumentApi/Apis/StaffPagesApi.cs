using Kmrl.BuildingBlocks.PubSub;
using Kmrl.ClaimCheck;
using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Pipeline;
using Kmrl.DocumentApi.Ports;
using Kmrl.DocumentApi.Security;
using Kmrl.DocumentApi.Ui;
using Kmrl.ServiceDefaults.Security;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Localization;
using Microsoft.Extensions.Options;

namespace Kmrl.DocumentApi.Apis;

/// <summary>One upload's state as the upload page polls it; <see cref="Readable"/> says whether its page may be linked.</summary>
public sealed record UploadStatus(string DocumentId, string Status, bool Readable);

public static class StaffPagesApi
{
    public const string PagesPath = "/ui";

    /// <summary>The pages, the sign-in routes, the language switch and the upload page's two routes. Served with the public API.</summary>
    public static WebApplication MapStaffPages(this WebApplication app)
    {
        if (!app.Services.GetRequiredService<IOptions<DocumentApiRoleOptions>>().Value.ServesApi) return app;
        app.UseRequestLocalization();
        app.UseAntiforgery();
        app.MapStaffSignIn(PagesPath + "/dev-login");
        app.MapRazorPages();
        app.MapGet(PagesPath, () => TypedResults.LocalRedirect(PagesPath + "/search")).ExcludeFromDescription();
        app.MapGet(PagesPath + "/language", SetLanguage).AllowAnonymous().ExcludeFromDescription();
        app.MapPost(PagesPath + "/upload/files", UploadAsync).RequireAuthorization(StaffPolicies.Upload).DisableAntiforgery().ExcludeFromDescription();
        app.MapGet(PagesPath + "/upload/status", UploadStatusAsync).RequireAuthorization(StaffPolicies.Upload).ExcludeFromDescription();
        return app;
    }

    /// <summary>Remembers the language in the framework's culture cookie for a year, then goes back.</summary>
    public static RedirectHttpResult SetLanguage(HttpContext http, string? culture, string? returnUrl)
    {
        var chosen = StaffPagesExtensions.Cultures.Contains(culture ?? "", StringComparer.Ordinal) ? culture! : "en";
        http.Response.Cookies.Append(CookieRequestCultureProvider.DefaultCookieName,
            CookieRequestCultureProvider.MakeCookieValue(new RequestCulture(chosen)),
            new CookieOptions { Expires = DateTimeOffset.UtcNow.AddYears(1), IsEssential = true, SameSite = SameSiteMode.Lax, HttpOnly = true });
        var target = !string.IsNullOrEmpty(returnUrl) && returnUrl.StartsWith(PagesPath, StringComparison.Ordinal) ? returnUrl : PagesPath + "/search";
        return TypedResults.LocalRedirect(target);
    }

    /// <summary>
    /// The upload API itself, after the antiforgery check a cookie-signed request needs (the token comes in the
    /// RequestVerificationToken header, so the multipart body is left for the upload to stream).
    /// </summary>
    public static async Task<IResult> UploadAsync(
        HttpContext http, IAntiforgery antiforgery, IDocumentContentStore store, ICatalog catalog, IEventPublisher events,
        PipelineBacklog backlog, IOptions<UploadOptions> uploadOptions, TimeProvider time,
        ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (!await antiforgery.IsRequestValidAsync(http))
        {
            return UploadHandlers.Problem(StatusCodes.Status400BadRequest, "The page's antiforgery token is missing or wrong; reload the page.");
        }
        return await UploadHandlers.UploadAsync(http, store, catalog, events, backlog, uploadOptions, time, loggers, cancellationToken);
    }

    /// <summary>Status only (the name is the uploader's own); a link only to a document the person reads.</summary>
    public static async Task<Ok<IReadOnlyList<UploadStatus>>> UploadStatusAsync(
        HttpContext http, ICatalog catalog, DocumentAccess access, CancellationToken cancellationToken)
    {
        var statuses = new List<UploadStatus>();
        foreach (var id in http.Request.Query["id"].Where(v => !string.IsNullOrWhiteSpace(v)).Take(UploadOptionsLimit).Select(v => v!))
        {
            var record = await catalog.GetAsync(id, cancellationToken);
            if (record is not null)
            {
                statuses.Add(new UploadStatus(id, record.Status.ToString().ToLowerInvariant(), access.CanRead(http.User, record)));
                continue;
            }
            var accepted = await catalog.GetAcceptedAsync(id, cancellationToken);
            statuses.Add(new UploadStatus(id, accepted is null ? "unknown" : "queued", false));
        }
        return TypedResults.Ok<IReadOnlyList<UploadStatus>>(statuses);
    }

    private const int UploadOptionsLimit = 50;
}
