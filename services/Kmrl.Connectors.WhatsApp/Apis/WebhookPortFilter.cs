using Microsoft.Extensions.Options;

namespace Kmrl.Connectors.WhatsApp.Apis;

/// <summary>
/// With <see cref="WhatsAppOptions.WebhookPort"/> set, that port answers <see cref="WhatsAppWebhookApi.Route"/> only
/// and the other ports never answer it. Decided by the port the connection came in on, never by the Host header a
/// caller chooses, and first in the pipeline (a startup filter), before authentication could answer 401 and so
/// tell an outsider that a route exists.
/// </summary>
public sealed class WebhookPortFilter(IOptions<WhatsAppOptions> options) : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        if (options.Value.WebhookPort is { } webhookPort)
        {
            app.Use((context, nextMiddleware) =>
            {
                var onWebhookPort = context.Connection.LocalPort == webhookPort;
                if (onWebhookPort != context.Request.Path.StartsWithSegments(WhatsAppWebhookApi.Route))
                {
                    context.Response.StatusCode = StatusCodes.Status404NotFound;
                    return Task.CompletedTask;
                }
                return nextMiddleware(context);
            });
        }
        next(app);
    };
}
